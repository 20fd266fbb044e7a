"""`tuimail account add` (login check) against scripted hostile servers: nothing saved."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import account_add, assert_clean_failure
from tests.hostile.scripted import ImapScript, SmtpScript, trickle
from tuimail.core.config import load_config

pytestmark = pytest.mark.timeout(60)

ESCAPES = b"\x1b]52;c;aGVsbG8=\x07\x1b[2J\xc2\x9b31m"

CASES = {
    "garbage greeting": lambda conn: (conn.send(b"HTTP/1.1 400 Bad Request\r\n\r\n"), conn.hang()),
    "endless greeting line": lambda conn: (conn.send(b"* OK "), conn.flood(b"A" * 65536)),
    "escapes in the login refusal": ImapScript(
        {"LOGIN": lambda conn, tag, args: conn.send(tag + b" NO " + ESCAPES + b"\r\n")}
    ),
    "greeting trickled": lambda conn: trickle(conn, b"* OK hello"),
}


@pytest.mark.parametrize("script", CASES.values(), ids=CASES.keys())
def test_account_add_refuses_and_saves_nothing(scripted, cli, script) -> None:
    with scripted(script) as imap, scripted(SmtpScript()) as smtp:
        run = account_add(cli, imap, smtp)
    assert_clean_failure(run)
    assert imap.sent < 16 << 20
    assert "\x1b" not in run.out and "\x9b" not in run.out
    assert "work" not in load_config().accounts


def test_account_add_with_good_servers_saves(scripted, cli) -> None:
    with scripted(ImapScript()) as imap, scripted(SmtpScript()) as smtp:
        run = account_add(cli, imap, smtp)
    assert run.code == 0, run.err
    assert "work" in load_config().accounts
