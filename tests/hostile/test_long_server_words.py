"""A server answering a refusal with 100 KB of words: the sentence quoted them whole, a
100 KB line on the terminal (and in the app's notes). Its words are cut
(tuimail.words.plain.tidy, MAX_SAID) and the sentence stays one readable line."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import save
from tests.hostile.scripted import Conn, ImapScript, Pop3Script, SmtpScript

pytestmark = pytest.mark.timeout(60)

LONG = b"word " * 20000  # 100,000 bytes: under every line limit
OUTGOING = b"From: bob@example.test\r\nTo: a@example.test\r\nSubject: hi\r\n\r\nx\r\n"


def _tagged(text: bytes):
    def handler(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + b" " + text + b"\r\n")

    return handler


CASES = {
    "IMAP EXAMINE refused": ("imap", ImapScript({"EXAMINE": _tagged(b"NO " + LONG)})),
    "IMAP login refused": (
        "imap",
        ImapScript({"LOGIN": _tagged(b"NO [AUTHENTICATIONFAILED] " + LONG)}),
    ),
    "IMAP BYE greeting": ("imap", lambda conn: conn.send(b"* BYE " + LONG + b"\r\n")),
    "POP3 PASS refused": (
        "pop3",
        Pop3Script({"PASS": lambda c, a: c.send(b"-ERR " + LONG + b"\r\n")}),
    ),
    "SMTP AUTH refused": (
        "smtp",
        SmtpScript({"AUTH": lambda c, a: c.send(b"535 " + LONG[:900] + b"\r\n")}),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_refusal_of_100_kb_is_said_in_one_readable_line(scripted, cli, case, tmp_path) -> None:
    protocol, script = case
    path = tmp_path / "m.eml"
    path.write_bytes(OUTGOING)
    with scripted(script) as server:
        save(server, protocol)
        run = cli("send", str(path)) if protocol == "smtp" else cli("sync", "work")
    lines = [line for line in run.err.splitlines() if line.strip()]
    assert run.code != 0 and 1 <= len(lines) <= 2, run.err[:300]
    assert all(len(line) < 600 for line in lines), [len(line) for line in lines]
    assert "word word" in run.err and "…" in run.err  # the server's words, cut
