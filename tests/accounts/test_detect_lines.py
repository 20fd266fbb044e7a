"""The exact lines `tuimail detect` prints (and the setup wizard logs, through the same
tuimail.detect_words.event) for a probe that failed, over real sockets: every failure
is worded from its typed error (reason, data, the server's words), never as a bare kind
or core's "kind: detail" record."""

from __future__ import annotations

import io
import socket

from tuimail.cli.detect import print_event
from tuimail.core.discovery.model import Candidate, Event
from tuimail.core.discovery.probe import probe
from tuimail.core.discovery.resolver import Resolver


def _line(s, port: int, protocol: str = "imap", security: str = "tls") -> str:
    candidate = Candidate(protocol, "localhost", port, security, "srv")
    result = probe(candidate, Resolver(), timeout=1, ca_file=s.ca_file)
    out = io.StringIO()
    print_event(Event("probe", f"{protocol} localhost:{port} {security}", result.ok, result), out)
    line = out.getvalue()
    assert result.failure.kind + ":" not in line  # never core's record
    return line.rstrip("\n")


def test_a_refused_port_a_silent_one_and_an_smtp_server_read_as_sentences(
    imap_smtp_server,
) -> None:
    s = imap_smtp_server
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    assert _line(s, closed) == (
        f"  --  probe      imap localhost:{closed} tls: the mail server refused the connection"
    )
    s.faults.add(protocol="imap", kind="silent", port="tls")
    try:
        silent = s.ports.imap_tls
        assert _line(s, silent) == (
            f"  --  probe      imap localhost:{silent} tls: the mail server did not answer in time"
        )
    finally:
        s.faults.clear()
    smtp = s.ports.smtp_tls
    line = _line(s, smtp)
    assert line.startswith(
        f"  --  probe      imap localhost:{smtp} tls: this is not an IMAP server: 220 "
    )


def test_a_port_that_does_not_speak_tls_reads_as_a_sentence(imap_smtp_server) -> None:
    s = imap_smtp_server
    plain = s.ports.imap_starttls  # answers in clear: a TLS handshake cannot start there
    assert _line(s, plain) == (
        f"  --  probe      imap localhost:{plain} tls: the server did not answer with TLS; "
        "it sent something else (WRONG_VERSION_NUMBER)"
    )
