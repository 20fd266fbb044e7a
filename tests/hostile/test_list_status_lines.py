"""A LIST-STATUS server (RFC 5819) whose STATUS lines are odd or hostile: every listed folder
is still synced, a folder whose line could be read is not opened when empty, and one
without a usable line is opened as before; a server refusing the extended LIST gets
LIST + LSUB (and is not asked again)."""

from __future__ import annotations

import re

import pytest

from tests.hostile.conftest import PASSWORD, save
from tests.hostile.scripted import Conn, ImapScript
from tuimail.core.imap.session import connector
from tuimail.core.imap.sync import SyncEngine
from tuimail.core.store import Store

pytestmark = pytest.mark.timeout(60)

CAPS = b"IMAP4rev1 AUTH=PLAIN LIST-EXTENDED LIST-STATUS UNSELECT"
EMPTY = b" (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 7)\r\n"


class ListStatusServer(ImapScript):
    """Lists `lines` (the LIST lines); a LIST with RETURN adds `status` after them (or is
    answered BAD when `refuse`). INBOX holds one message, every other folder none."""

    def __init__(self, lines: bytes, status: bytes = b"", refuse: bool = False) -> None:
        super().__init__(greeting=b"* OK [CAPABILITY " + CAPS + b"] ready\r\n")
        self.lines, self.status, self.refuse = lines, status, refuse
        self.examined: list[bytes] = []
        self.extended = 0  # LIST commands with RETURN received

    def cmd_capability(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* CAPABILITY " + CAPS + b"\r\n" + tag + b" OK done\r\n")

    def cmd_list(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"RETURN" in args:
            self.extended += 1
            if self.refuse:
                conn.send(tag + b" BAD no such option\r\n")
                return
            conn.send(self.lines + self.status + tag + b" OK done\r\n")
            return
        conn.send(self.lines + tag + b" OK done\r\n")

    cmd_lsub = cmd_list

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        name = args
        if name.startswith(b'"') and name.endswith(b'"'):
            name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
        self.examined.append(name)
        if name.upper() == b"INBOX":
            ImapScript.cmd_examine(self, conn, tag, args)
            return
        conn.send(
            b"* 0 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1] ok\r\n"
            + tag
            + b" OK [READ-ONLY] done\r\n"
        )

    def cmd_status(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + b" NO not asked for\r\n")


def engine_for(server, tmp_path) -> SyncEngine:
    account = save(server)
    store = Store(tmp_path / "store.db")
    return SyncEngine(store, account, connector(account, PASSWORD, timeout=5))


def test_odd_status_lines_never_break_the_folder_list(scripted, tmp_path) -> None:
    lines = (
        b'* LIST () "/" INBOX\r\n'
        b'* LIST () "/" a]b[c\r\n'
        b'* LIST () "/" "Quo\\"ted"\r\n'
        b'* LIST () "/" {5}\r\nLit e\r\n'
        b'* LIST () "/" Bad\r\n'
        b'* LIST () "/" Twice\r\n'
        b'* LIST () "/" Missing\r\n'
        b'* LIST (\\Noselect) "/" Parent\r\n'
    )
    status = (
        b"* STATUS INBOX (MESSAGES 1 UIDNEXT 2 UIDVALIDITY 7)\r\n"
        b"* STATUS a]b[c"
        + EMPTY
        + b'* STATUS "Quo\\"ted"'
        + EMPTY
        + b"* STATUS {5}\r\nLit e"
        + EMPTY
        # out of range, twice, unreadable, unlisted, a literal among the numbers
        + b"* STATUS Bad (MESSAGES 0 UIDNEXT 1 UIDVALIDITY 0)\r\n"
        + b"* STATUS Twice"
        + EMPTY
        + b"* STATUS Twice"
        + EMPTY
        + b'* STATUS\r\n* STATUS (MESSAGES 0)\r\n* STATUS "Missing (MESSAGES 0)\r\n'
        + b"* STATUS Nowhere"
        + EMPTY
        + b"* STATUS Parent"
        + EMPTY
        + b"* STATUS Missing (MESSAGES {1}\r\n0 UIDNEXT 1 UIDVALIDITY 7)\r\n"
    )
    with scripted(ListStatusServer(lines, status)) as server:
        engine = engine_for(server, tmp_path)
        first = engine.sync()
        script = server.script
        assert first.failures == [] and first.new == 1, first.failures
        names = {f.name for f in engine.store.folders("work")}
        assert names == {"INBOX", "a]b[c", 'Quo"ted', "Lit e", "Bad", "Twice", "Missing", "Parent"}
        # Opened: INBOX (mail) and the three without a usable line; not the listed empties.
        assert sorted(script.examined) == [b"Bad", b"INBOX", b"Missing", b"Twice"]
        assert script.extended == 1 and not any(b" LSUB " in c for c in script.commands)
        skipped = {f.folder for f in first.folders if f.skipped}
        assert skipped == {"a]b[c", 'Quo"ted', "Lit e"}
        engine.close()


def test_a_server_refusing_the_extended_list_gets_list_and_lsub(scripted, tmp_path) -> None:
    lines = b'* LIST () "/" INBOX\r\n* LIST () "/" Empty\r\n'
    with scripted(ListStatusServer(lines, refuse=True)) as server:
        engine = engine_for(server, tmp_path)
        first = engine.sync()
        second = engine.sync()
        script = server.script
        assert first.failures == [] == second.failures and first.new == 1
        assert {f.name for f in engine.store.folders("work")} == {"INBOX", "Empty"}
        assert script.extended == 1  # asked once, for the engine's life
        assert sum(b" LSUB " in c for c in script.commands) == 2
        assert script.examined.count(b"Empty") == 2  # opened as before, every pass
        engine.close()
