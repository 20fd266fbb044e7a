"""Folder names a hostile or odd server lists, through `tuimail sync | list | read --folder`.

Every folder the server lists is reachable under one name, or is reported in one clear
sentence: no crash, no folder hidden behind another's name.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imapclient.imap_utf7 import encode as utf7_encode

from tests.hostile.conftest import save
from tests.hostile.scripted import MESSAGE, Conn, ImapScript, imap_fetch_line
from tuimail.core.config import save_account
from tuimail.core.imap import names
from tuimail.core.imap.names import parse_list

pytestmark = pytest.mark.timeout(60)


class Folders(ImapScript):
    """Lists `folders` (wire spelling in the LIST line -> the mailbox name the server
    answers to, as bytes after unquoting) and gives each one message whose subject is the
    folder's `subject`; a folder named by other bytes does not exist."""

    def __init__(self, folders: dict[bytes, tuple[bytes, bytes]], delimiter: bytes = b'"/"'):
        super().__init__()
        self.folders = folders  # listed -> (command argument as sent, subject)
        self.delimiter = delimiter
        self.selected: bytes | None = None

    def cmd_list(self, conn: Conn, tag: bytes, args: bytes) -> None:
        lines = b"".join(
            b"* LIST () " + self.delimiter + b" " + listed + b"\r\n" for listed in self.folders
        )
        conn.send(lines + tag + b" OK done\r\n")

    cmd_lsub = cmd_list

    def _subject(self, args: bytes) -> bytes | None:
        if args.startswith(b'"') and args.endswith(b'"'):
            args = re.sub(rb"\\(.)", rb"\1", args[1:-1])
        for argument, subject in self.folders.values():
            if args == argument:
                return subject
        return None

    def cmd_examine(self, conn: Conn, tag: bytes, args: bytes) -> None:
        subject = self._subject(args)
        if subject is None:
            self.selected = None
            conn.send(tag + b" NO [NONEXISTENT] no such folder\r\n")
            return
        self.selected = subject
        ImapScript.cmd_examine(self, conn, tag, args)

    cmd_select = cmd_examine

    def cmd_status(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + b" NO not here\r\n")

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        subject = self.selected or b"none"
        if b"BODY.PEEK[]" in args:
            body = MESSAGE.replace(b"Subject: hello", b"Subject: " + subject)
            conn.send(
                f"* 1 FETCH (UID 1 BODY[] {{{len(body)}}}\r\n".encode()
                + body
                + b")\r\n"
                + tag
                + b" OK done\r\n"
            )
        elif b"BODY.PEEK[HEADER" in args:
            conn.send(imap_fetch_line(1, 1, subject) + tag + b" OK done\r\n")
        else:
            conn.send(b"* 1 FETCH (UID 1 FLAGS ())\r\n" + tag + b" OK done\r\n")


CAFE_RAW = "Café".encode()


def test_a_raw_utf8_name_beside_its_utf7_twin_keeps_both_folders(scripted, cli) -> None:
    """A server lists "Café" once in raw UTF-8 and once in modified UTF-7 ("Caf&AOk-"): two
    folders that decoded to one name, so one was synced over the other and the UTF-7 one
    could not be reached by any --folder. The raw one keeps "Café", the twin its spelling."""
    script = Folders(
        {
            b"INBOX": (b"INBOX", b"in-inbox"),
            b'"' + CAFE_RAW + b'"': (CAFE_RAW, b"in-raw"),
            b"Caf&AOk-": (b"Caf&AOk-", b"in-utf7"),
            # a control character is valid in a quoted name; imapclient re-encoded it
            b'"Ctl\x1fname"': (b"Ctl\x1fname", b"in-control"),
        }
    )
    with scripted(script) as server:
        save(server)
        synced = cli("sync", "work")
        control = cli("list", "work", "--folder", "Ctl\x1fname")
        raw = cli("list", "work", "--folder", "Café")
        twin = cli("list", "work", "--folder", "Caf&AOk-")
        with names._raw_lock:  # as in a new process: known from the store alone
            names._raw_names.clear()
        read = cli("read", "1", "--account", "work", "--folder", "Caf&AOk-")
    assert synced.code == 0, synced.err
    assert synced.out.startswith("work: 4 folders"), synced.out
    assert control.code == 0 and "in-control" in control.out, control
    assert raw.code == 0 and "in-raw" in raw.out and "in-utf7" not in raw.out, raw
    assert twin.code == 0 and "in-utf7" in twin.out and "in-raw" not in twin.out, twin
    assert read.code == 0 and "in-utf7" in read.out, read


def test_a_name_in_8bit_bytes_that_are_not_utf8_is_said_once(scripted, cli) -> None:
    """A folder listed in Latin-1 bytes: its name became "Caf\ufffd", which named no
    folder on the server (every pass failed on it). It is said as an unreadable LIST line;
    the other folders sync."""
    script = Folders({b"INBOX": (b"INBOX", b"in-inbox"), b'"Caf\xe9"': (b"Caf\xe9", b"in-latin1")})
    with scripted(script) as server:
        save(server)
        synced = cli("sync", "work")
        inbox = cli("list", "work")
    assert synced.code != 0
    lines = [line for line in synced.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "not UTF-8" in lines[0], synced.err
    assert "Traceback" not in synced.err
    assert inbox.code == 0 and "in-inbox" in inbox.out, inbox


_WIRE = st.one_of(
    st.text(
        st.characters(codec="ascii", exclude_characters="\x00\r\n"), min_size=1, max_size=12
    ).map(lambda t: t.encode("ascii")),
    st.text(min_size=1, max_size=6).map(lambda t: t.encode("utf-8")),
    st.text(min_size=1, max_size=6).map(utf7_encode),
    st.sampled_from([b"Caf&AOk-", "Café".encode(), b"Bad&Jjo", b"Bad&-Jjo", b"Bad&--Jjo"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WIRE, max_size=8))
def test_every_listed_spelling_has_a_name_of_its_own_that_names_it_back(wires) -> None:
    """Whatever names a server lists, each spelling gets one name no other spelling has
    (INBOX in any case is the one INBOX), and that name is sent back as that spelling."""
    data = [b'() "/" "' + w.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"' for w in wires]
    entries, bad = parse_list(data)
    by_name: dict[str, bytes] = {}
    for entry in entries:
        if entry.name == "INBOX":
            continue
        assert by_name.setdefault(entry.name, entry.wire) == entry.wire, (entry, by_name)
        sent = entry.name.encode("utf-8") if entry.malformed else utf7_encode(entry.name)
        assert sent == entry.wire, entry
    assert len(entries) + len(bad) == len(wires)


def test_very_long_and_deep_names_are_reachable_or_said_in_one_short_line(scripted, cli) -> None:
    """A 4000-byte name is synced and reachable by --folder; one 2000 levels deep that
    the server refuses is said in one line of readable length (the whole name made a
    4 KB line of the error)."""
    long = b"L" * 4000
    deep = b"/".join([b"d"] * 2000)
    script = Folders(
        {
            b"INBOX": (b"INBOX", b"in-inbox"),
            long: (long, b"in-long"),
            deep: (b"(refused)", b"never"),
        }
    )
    with scripted(script) as server:
        save(server)
        synced = cli("sync", "work")
        listed = cli("list", "work", "--folder", long.decode())
    lines = [line for line in synced.err.splitlines() if line.strip()]
    assert synced.code != 0 and len(lines) == 1, synced.err
    assert len(lines[0]) < 200 and "no such folder" in lines[0], lines
    assert "d/d/d" in lines[0] and "…" in lines[0]  # cut in the middle, still recognisable
    assert listed.code == 0 and "in-long" in listed.out, listed


class PerLogin(Folders):
    """One server, two mailboxes: `bob` lists "Café" in raw UTF-8, `carol` in modified
    UTF-7; each answers only to its own spelling."""

    BY_LOGIN = {
        b"bob": {b'"' + CAFE_RAW + b'"': (CAFE_RAW, b"bobs-cafe")},
        b"carol": {b"Caf&AOk-": (b"Caf&AOk-", b"carols-cafe")},
    }

    def __init__(self) -> None:
        super().__init__({})

    def cmd_login(self, conn: Conn, tag: bytes, args: bytes) -> None:
        who = args.split(b" ")[0].strip(b'"')
        self.folders = {b"INBOX": (b"INBOX", who + b"-inbox"), **self.BY_LOGIN[who]}
        conn.send(tag + b" OK logged in\r\n")


def test_two_logins_on_one_server_keep_their_own_spelling_of_a_name(scripted, cli) -> None:
    """A raw spelling was remembered for the server alone: once bob's raw "Café" was
    listed, carol's "Café" (modified UTF-7) was sent to the server in raw UTF-8 too, a
    name her mailbox does not have, and could not be synced in that process (the app
    with both accounts)."""
    with scripted(PerLogin()) as server:
        for login in ("bob", "carol"):
            account = save(server)
            account.name, account.username = login, login
            save_account(account)
        bobs = cli("sync", "bob")
        carols = cli("sync", "carol")
        listed = cli("list", "carol", "--folder", "Café")
    assert bobs.code == 0, bobs.err
    assert carols.code == 0, carols.err
    assert listed.code == 0 and "carols-cafe" in listed.out, listed
