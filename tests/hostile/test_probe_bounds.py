"""Detection's probes (tuimail.core.discovery.probe) against servers that never finish:
a greeting trickled a byte at a time, untagged lines sent slowly for ever, capability or
reply lines without end. Each probe ends by its deadline or its bound on bytes, with a
typed failure: a probe thread reading for ever held `tuimail detect` open at exit."""

from __future__ import annotations

import pytest

from tests.hostile.scripted import Conn, trickle
from tuimail.core import errors
from tuimail.core.discovery.model import Candidate
from tuimail.core.discovery.probe import probe
from tuimail.core.discovery.resolver import Resolver

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 0.5  # per wait; far below the scripts' hang guard


def _lines_slowly(first: bytes, line: bytes, opening: bytes = b""):
    """`first`, then after the first command `opening` and `line` every 0.1 s for ever
    (until the client leaves or the hang guard: then the connection is `outwaited`)."""

    def script(conn: Conn) -> None:
        conn.send(first)
        conn.readline()
        conn.send(opening)
        for _ in range(200):
            conn.send(line)
            if conn.stop.wait(0.1):
                return
        conn.outwaited = True

    return script


def _greeting_slowly(conn: Conn) -> None:
    """An SMTP greeting of continuation lines, one every 0.1 s, never the last."""
    for _ in range(200):
        conn.send(b"220-still greeting\r\n")
        if conn.stop.wait(0.1):
            return
    conn.outwaited = True


def _flood_after_command(first: bytes, line: bytes, opening: bytes = b""):
    def script(conn: Conn) -> None:
        conn.send(first)
        conn.readline()
        conn.send(opening)
        conn.flood(line)

    return script


ENDLESS = {
    "IMAP greeting trickled": ("imap", lambda conn: trickle(conn, b"* OK ready", every=0.1)),
    "IMAP untagged lines slowly, never tagged": (
        "imap",
        _lines_slowly(b"* OK ready\r\n", b"* OK still here\r\n"),
    ),
    "POP3 CAPA lines slowly, never the end": (
        "pop3",
        _lines_slowly(b"+OK ready\r\n", b"X-SOMETHING\r\n", b"+OK\r\n"),
    ),
    "SMTP greeting continued slowly": ("smtp", lambda conn: _greeting_slowly(conn)),
    "IMAP untagged flood": (
        "imap",
        _flood_after_command(b"* OK ready\r\n", b"* OK " + b"x" * 200 + b"\r\n"),
    ),
    "POP3 CAPA flood": (
        "pop3",
        _flood_after_command(b"+OK ready\r\n", b"X" * 200 + b"\r\n", b"+OK\r\n"),
    ),
    "SMTP EHLO flood": (
        "smtp",
        _flood_after_command(b"220 hi\r\n", b"250-" + b"X" * 200 + b"\r\n"),
    ),
}


@pytest.mark.parametrize(("protocol", "script"), ENDLESS.values(), ids=ENDLESS.keys())
def test_a_probe_of_a_server_that_never_finishes_ends(scripted, protocol, script) -> None:
    with scripted(script) as server:
        candidate = Candidate(protocol, "127.0.0.1", server.port, "tls", "guess")
        result = probe(candidate, Resolver(), timeout=TIMEOUT, ca_file=str(server.ca_file))
    assert not result.ok
    assert isinstance(result.failure, errors.TimedOut | errors.ProtocolViolation), result.failure
    assert server.sent < 16 << 20  # bytes read are bounded too (a flood stops early)
