"""`tuimail sync` of a POP3 account against scripted hostile servers."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import TIMEOUT, assert_clean_failure, save
from tests.hostile.scripted import Conn, Pop3Script, Switch, trickle

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("small_response_limit")]

ESCAPES = b"\x1b]52;c;aGVsbG8=\x07\x1b[2J\xc2\x9b31m"


def _send(data: bytes):
    return lambda conn, args: conn.send(data)


def _flood_lines(conn: Conn, args: bytes) -> None:
    conn.send(b"+OK here it comes\r\n")
    conn.flood(b"x" * 1000 + b"\r\n")  # never the final "."


CASES = {
    "greeting then close": Pop3Script({"CAPA": lambda conn, args: None, "USER": None}),
    "garbage greeting": Pop3Script(greeting=b"HTTP/1.1 400 Bad Request\r\n\r\n"),
    "endless greeting line": lambda conn: (conn.send(b"+OK "), conn.flood(b"A" * 65536)),
    "escapes in the greeting": Pop3Script(greeting=b"-ERR " + ESCAPES + b" go away\r\n"),
    "escapes in the login refusal": Pop3Script({"PASS": _send(b"-ERR " + ESCAPES + b"\r\n")}),
    "endless line in UIDL": Pop3Script(
        {"UIDL": lambda conn, args: (conn.send(b"+OK\r\n1 "), conn.flood(b"B" * 65536))}
    ),
    "RETR that never ends": Pop3Script({"RETR": _flood_lines}),
}


def _close_after_greeting(conn: Conn) -> None:
    conn.send(b"+OK POP3 ready\r\n")


CASES["greeting then close"] = _close_after_greeting


@pytest.mark.parametrize("script", CASES.values(), ids=CASES.keys())
def test_pop3_sync_fails_cleanly(scripted, cli, script) -> None:
    with scripted(script) as server:
        save(server, "pop3")
        run = cli("sync", "work")
        assert server.client_left(), "the client gave up but left its socket open"
    assert_clean_failure(run)
    assert server.sent < 16 << 20


@pytest.mark.parametrize("where", ["RETR", "trickled greeting"])
def test_pop3_gives_up_after_the_account_timeout(scripted, cli, where) -> None:
    hang = lambda conn, args=b"": conn.hang()  # noqa: E731
    if where == "trickled greeting":
        script = lambda conn: trickle(conn, b"+OK hello")  # noqa: E731
    else:
        script = (lambda conn: conn.hang()) if where == "greeting" else Pop3Script({where: hang})
    with scripted(script) as server:
        save(server, "pop3")
        run = cli("sync", "work")
    error = assert_clean_failure(run, limit=TIMEOUT * 2 + 3)
    assert "in time" in error or "timed out" in error
    assert run.seconds >= TIMEOUT * 0.9


def test_a_good_download_survives_a_hostile_pass(scripted, cli) -> None:
    script = Switch(Pop3Script())
    with scripted(script) as server:
        save(server, "pop3")
        assert cli("sync", "work").code == 0
        script.current = Pop3Script(
            {"UIDL": _send(b"+OK\r\n1 msg-1\r\n2 msg-2\r\n.\r\n"), "RETR": _flood_lines}
        )
        assert cli("sync", "work").code != 0
    listed = cli("list", "work")
    assert listed.code == 0 and "hello" in listed.out
