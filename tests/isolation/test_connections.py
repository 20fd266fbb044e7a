"""Broken connections are never reused, and every answer has an absolute deadline: after a
protocol violation the connection is dropped before anything else is sent on it and the
next folder syncs on a fresh one; a server that drips its answers cannot stretch the sync
past the account's timeout. Over the bundled server (faults `garbage`, `drip`) and a
scripted hostile server."""

from __future__ import annotations

from contextlib import closing

import pytest

from tests.hostile.scripted import Conn, ImapScript, ScriptedServer
from tests.imap.helpers import account_for, engine_for, message, tmp_store
from tests.isolation.helpers import scripted_engine
from tuimail.core.account import ServerSettings
from tuimail.core.errors import ProtocolViolation
from tuimail.core.imap.session import connector
from tuimail.core.imap.sync import SyncEngine
from tuimail.words.describe import describe
from tuimail.words.where import sync_errors

pytestmark = pytest.mark.timeout(300)

VIOLATIONS = {
    "oversized literal": b"* 1 FETCH (UID 1 BODY[HEADER.FIELDS (FROM)] {999999999999}\r\n"
    + b"x" * 5000
    + b"\r\n",
    "over-long line": b"* 1 FETCH (UID 1 FLAGS (" + b"A" * 1_100_000 + b"))\r\n",
    "garbage": b"HTTP/1.1 400 Bad Request\r\n\r\n" + b"<html>" * 500 + b"\r\n",
}


@pytest.mark.parametrize("data", VIOLATIONS.values(), ids=VIOLATIONS.keys())
def test_a_violation_drops_the_connection_and_the_next_folder_syncs_fresh(
    mail_server, tmp_path, data
) -> None:
    user = mail_server.new_user()
    mail_server.store.create_folder(user.login, "Second")
    for i in range(1, 4):
        mail_server.deliver(user, message(i, "inbox"))
        mail_server.deliver(user, message(i, "second"), folder="Second")
    fault = mail_server.faults.add(
        protocol="imap", kind="garbage", command="UID", match="INBOX", data=data
    )
    store = tmp_store(tmp_path)
    with closing(engine_for(mail_server, user, store)) as engine:
        result = engine.sync(["INBOX", "Second"])
    assert len(sync_errors(result)) == 1 and sync_errors(result)[0].startswith(
        "INBOX: the mail server "
    )
    assert [f.folder for f in result.folders] == ["Second"]
    assert store.count_messages(store.folder_id("test", "Second")) == 3
    assert fault.hits >= 2  # Second was synced on a connection of its own


class _PerConnection(ImapScript):
    """ImapScript that keeps the commands of each connection apart, and answers the
    header FETCH with an oversized literal followed by bytes a reused connection would
    read as the next answer."""

    def __init__(self) -> None:
        super().__init__(folder=b"INBOX")
        self.per_connection: list[list[bytes]] = []

    def __call__(self, conn: Conn) -> None:
        mine: list[bytes] = []
        self.per_connection.append(mine)
        self.commands = mine
        super().__call__(conn)

    def cmd_list(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b'* LIST () "/" INBOX\r\n* LIST () "/" Second\r\n' + tag + b" OK done\r\n")

    cmd_lsub = cmd_list

    def cmd_uid_fetch(self, conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[HEADER" in args and len(self.per_connection) == 1:
            conn.send(b"* 1 FETCH (UID 1 BODY[] {999999999999}\r\n" + b"* 1 EXISTS\r\n" * 100)
            conn.send(tag + b" OK done\r\n")
            return
        super().cmd_uid_fetch(conn, tag, args)


def test_nothing_is_sent_on_a_connection_after_a_violation(test_ca, tmp_path) -> None:
    script = _PerConnection()
    with scripted_engine(test_ca, script, tmp_store(tmp_path)) as engine:
        result = engine.sync(["INBOX", "Second"])
    first = script.per_connection[0]
    assert first[-1].split(b" ")[1:3] == [b"UID", b"FETCH"], first  # nothing after it
    assert len(script.per_connection) >= 2
    assert sync_errors(result) and "999,999,999,999 bytes" in sync_errors(result)[0]
    assert [f.folder for f in result.folders] == ["Second"]


def test_the_violation_is_raised_typed(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    mail_server.faults.add(
        protocol="imap", kind="garbage", command="UID", data=VIOLATIONS["oversized literal"]
    )
    with closing(engine_for(mail_server, user, tmp_store(tmp_path))) as engine:
        with pytest.raises(ProtocolViolation):
            engine.sync_folder("INBOX")


def test_a_dripping_server_cannot_stretch_the_sync_past_the_timeout(mail_server, tmp_path) -> None:
    """1 KiB/s: every small answer comes in time, the 40 KB header FETCH would take 40 s.
    The old per-byte allowance let it run to the end; the absolute deadline ends the pass
    after one timeout and says which folders were left."""
    user = mail_server.new_user()
    for i in range(100):
        mail_server.deliver(user, message(i, "dripped " + "y" * 200))
    mail_server.faults.add(protocol="imap", kind="drip", chunk=256, delay=0.25)
    store = tmp_store(tmp_path)
    account = account_for(mail_server, user)
    timeout = 2.0
    engine = SyncEngine(store, account, connector(account, user.password, timeout=timeout))
    try:
        result = engine.sync()
    finally:
        engine.drop_connection()
    assert [(f.folder, f.error.kind) for f in result.failures] == [("INBOX", "timeout")]
    assert result.skipped  # the other folders, said in one line
    assert sync_errors(result)[0] == "INBOX: the mail server did not answer in time"
    assert "other folders not synced this time" in sync_errors(result)[1]
    assert result.folders == []  # a per-byte allowance would have let the drip through


def test_a_dripping_pop3_server_cannot_stretch_a_download(mail_server, tmp_path) -> None:
    """POP3 too: a 60 KB RETR dripped at 1 KiB/s ends at the account's timeout (the old
    per-line allowance let every short line through, so the download never timed out)."""
    from tests.pop3.helpers import message as pop3_message
    from tests.pop3.helpers import pop3_account
    from tuimail.core.pop3 import Pop3Error, fetch
    from tuimail.core.pop3_state import StorePop3State

    user = mail_server.new_user()
    mail_server.deliver(user, pop3_message(1, b"a line of text in the body\r\n" * 2200))
    account = pop3_account(mail_server, user, extra={"timeout": 2.0})
    mail_server.faults.add(protocol="pop3", kind="drip", chunk=256, delay=0.25)
    state = StorePop3State(tmp_store(tmp_path))
    with pytest.raises(Pop3Error) as raised:  # a per-line allowance lets it all through
        fetch(account, user.password, state)
    assert raised.value.kind == "timeout" and "in time" in describe(raised.value)


POP3_GREETINGS = {
    "endless line": (lambda conn: (conn.send(b"+OK "), conn.flood(b"A" * 65536)), "protocol"),
    "closed": (lambda conn: None, "connection-lost"),
    "-ERR": (lambda conn: conn.send(b"-ERR [SYS/TEMP] later\r\n"), "busy"),
}


@pytest.mark.parametrize("case", POP3_GREETINGS.values(), ids=POP3_GREETINGS.keys())
def test_pop3_failures_are_raised_typed(test_ca, case) -> None:
    from tuimail.core.connect import open_pop3
    from tuimail.core.errors import MailError

    script, kind = case
    with ScriptedServer(test_ca, script) as server:
        settings = ServerSettings(host=server.host, port=server.port, security="tls")
        with pytest.raises(MailError) as raised:
            open_pop3(settings, server.ca_file, timeout=10)
    assert raised.value.kind == kind and raised.value.protocol == "pop3"
