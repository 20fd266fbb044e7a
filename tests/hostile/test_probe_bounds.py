"""Detection's probes (tuimail.core.discovery.probe) against servers that never finish:
a greeting trickled a byte at a time, untagged lines sent slowly for ever, capability or
reply lines without end. Each probe ends by its deadline or its bound on bytes, with a
typed failure: a probe thread reading for ever held `tuimail detect` open at exit."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.scripted import Conn, ScriptedServer, trickle
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


@pytest.fixture(scope="module")
def answering(test_ca):
    """One server for every example: each connection is sent `answers[-1]`, then closed
    once the client's first command has come (or at once, when the client sends none)."""
    answers: list[bytes] = [b""]

    def script(conn: Conn) -> None:
        conn.send(answers[-1])
        conn.sock.settimeout(0.2)
        try:
            conn.readline()
        except OSError:
            pass

    with ScriptedServer(test_ca, script) as server:
        yield server, answers


_LINE = st.one_of(
    st.binary(max_size=40).filter(lambda b: b"\n" not in b),
    st.sampled_from(
        [b"* OK ready", b"+OK ready", b"220 hi", b"220-hi", b"* CAPABILITY IMAP4rev1 STARTTLS",
         b"t1 OK done", b"t1 BAD no", b".", b"STLS", b"250-STARTTLS", b"250 AUTH PLAIN"]
    ),
)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    protocol=st.sampled_from(["imap", "pop3", "smtp"]),
    lines=st.lists(_LINE, max_size=8),
    end=st.sampled_from([b"\r\n", b"\n", b""]),
)
def test_any_answer_to_a_probe_is_a_result(answering, protocol, lines, end) -> None:
    """Whatever a server says (and then closes), a probe returns a result: ok, or failed
    with a typed failure; it never raises."""
    server, answers = answering
    answers.append(b"\r\n".join(lines) + end)
    candidate = Candidate(protocol, "127.0.0.1", server.port, "tls", "guess")
    result = probe(candidate, Resolver(), timeout=TIMEOUT, ca_file=str(server.ca_file))
    assert result.ok or isinstance(result.failure, errors.MailError), result
