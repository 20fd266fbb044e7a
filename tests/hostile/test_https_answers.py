"""Hostile HTTPS servers: the OAuth token endpoint (tuimail.core.oauth2.http) and the
autoconfig web server (tuimail.core.discovery.autoconfig). A trickled answer ends by the
exchange's deadline (tuimail.core.deadline); an answer that is not HTTP is a typed failure,
never a library's exception (which no caller knows how to say)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.scripted import Conn, ScriptedServer, trickle
from tuimail.core import errors
from tuimail.core.discovery import autoconfig
from tuimail.core.discovery.resolver import Resolver
from tuimail.core.oauth2.http import post_form

pytestmark = pytest.mark.timeout(60)

TIMEOUT = 0.5  # far below the scripts' hang guard: a client without a deadline outwaits it


def _request_read(conn: Conn) -> None:
    """The request's line and headers (the form after them is left unread)."""
    while conn.readline():
        pass


def _post(server: ScriptedServer) -> tuple[int, dict]:
    return post_form(
        f"https://localhost:{server.port}/token",
        {"grant_type": "refresh_token", "refresh_token": "r"},
        ca_file=str(server.ca_file),
        timeout=TIMEOUT,
    )


TRICKLED = {
    "status line": b"HTTP/1.1 200 OK",
    "headers": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: ",
    "body": b'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n{"access_token": "',
}


def _autoconfig(server: ScriptedServer) -> bytes:
    return autoconfig.fetch(
        Resolver(),
        "127.0.0.1",
        "/mail/config-v1.1.xml",
        port=server.port,
        timeout=TIMEOUT,
        ca_file=str(server.ca_file),
    )


@pytest.mark.parametrize("answer", TRICKLED.values(), ids=TRICKLED.keys())
def test_a_trickled_token_answer_ends_by_the_deadline(scripted, answer) -> None:
    """A byte every 0.1 s never trips a socket timeout of 0.5 s: only a deadline on the
    whole exchange ends it (the `scripted` fixture fails when the script outwaits its
    guard)."""
    with scripted(lambda conn: (_request_read(conn), trickle(conn, answer, every=0.1))) as server:
        with pytest.raises(errors.TimedOut) as failure:
            _post(server)
    assert failure.value.protocol == "http"


@pytest.mark.parametrize("answer", TRICKLED.values(), ids=TRICKLED.keys())
def test_a_trickled_autoconfig_answer_ends_by_the_deadline(scripted, answer) -> None:
    """As for the token endpoint: a detection's thread reading such an answer also held
    `tuimail detect` (and the app) open at exit, however long the detection's own limit."""
    with scripted(lambda conn: (_request_read(conn), trickle(conn, answer, every=0.1))) as server:
        with pytest.raises(autoconfig.AutoconfigError) as failure:
            _autoconfig(server)
    assert isinstance(failure.value.failure, errors.TimedOut)
    assert failure.value.failure.data == {"what": "timeout"}


NOT_HTTP = {
    "garbage status line": (b"garbage\r\n\r\n", "not-http"),
    "status not a number": (b"HTTP/1.1 abc OK\r\n\r\n", "not-http"),
    "header line of 100 KB": (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 100_000 + b"\r\n\r\n", "not-http"),
    "more than 100 headers": (b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", "not-http"),
    "broken chunk": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "cut-short"),
}


@pytest.mark.parametrize(("answer", "what"), NOT_HTTP.values(), ids=NOT_HTTP.keys())
def test_an_answer_that_is_not_http_is_a_protocol_violation(scripted, answer, what) -> None:
    with scripted(lambda conn: (_request_read(conn), conn.send(answer))) as server:
        with pytest.raises(errors.ProtocolViolation) as failure:
            _post(server)
    assert (failure.value.reason, failure.value.data["what"]) == ("web", what)
    assert failure.value.protocol == "http"


@pytest.fixture(scope="module")
def answering(test_ca):
    """One server for every example: each connection sends `answers[-1]` and closes."""
    answers: list[bytes] = [b""]

    def script(conn: Conn) -> None:
        _request_read(conn)
        conn.send(answers[-1])

    with ScriptedServer(test_ca, script) as server:
        yield server, answers


_LINE = st.binary(max_size=60).filter(lambda b: b"\n" not in b)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    status=st.one_of(
        _LINE, st.sampled_from([b"HTTP/1.1 200 OK", b"HTTP/1.0 400 Bad", b"HTTP/1.1 302 Found"])
    ),
    headers=st.lists(_LINE, max_size=5),
    body=st.binary(max_size=200),
)
def test_any_answer_is_json_or_a_typed_failure(answering, status, headers, body) -> None:
    server, answers = answering
    answers.append(status + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body)
    try:
        code, data = _post(server)
    except errors.MailError:
        return
    assert isinstance(code, int) and isinstance(data, dict)


def test_an_address_the_library_cannot_use_is_a_typed_failure() -> None:
    """A token endpoint's host name IDNA cannot encode (a label over 63 characters, as a
    server's metadata may name it) made urllib raise UnicodeError, a ValueError that
    escaped untyped (no caller says it): it is a ProtocolViolation like the others."""
    with pytest.raises(errors.ProtocolViolation) as failure:
        post_form("https://" + "a" * 70 + ".example/token", {"a": "b"}, timeout=TIMEOUT)
    assert (failure.value.reason, failure.value.data["what"]) == ("web", "not-http")
    assert failure.value.protocol == "http"
