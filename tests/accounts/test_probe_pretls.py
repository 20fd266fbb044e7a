"""Detection never repeats what a server said in clear when it refused STARTTLS: anyone on
the path could have written that line ("[ALERT] visit http://..." as the server's words)."""

from __future__ import annotations

import socket
import threading

import pytest

from tuimail import detect_words
from tuimail.core.discovery.model import Candidate
from tuimail.core.discovery.probe import probe
from tuimail.core.discovery.resolver import Resolver

LURE = b"[ALERT] Your account is locked: log in at http://evil.example/fix"

SCRIPTS = {
    "imap": [
        (None, b"* OK ready\r\n"),
        (b"t1 CAPABILITY", b"* CAPABILITY IMAP4rev1 STARTTLS\r\nt1 OK done\r\n"),
        (b"t2 STARTTLS", b"t2 NO " + LURE + b"\r\n"),
    ],
    "pop3": [
        (None, b"+OK ready\r\n"),
        (b"CAPA", b"+OK\r\nSTLS\r\nUSER\r\n.\r\n"),
        (b"STLS", b"-ERR " + LURE + b"\r\n"),
    ],
    "smtp": [
        (None, b"220 ready\r\n"),
        (b"EHLO tuimail.localhost", b"250-hi\r\n250 STARTTLS\r\n"),
        (b"STARTTLS", b"454 " + LURE + b"\r\n"),
    ],
}


def _serve(listener: socket.socket, script) -> None:
    conn, _ = listener.accept()
    with conn, conn.makefile("rb") as reader:
        for expected, answer in script:
            if expected is not None and reader.readline().rstrip(b"\r\n") != expected:
                return
            conn.sendall(answer)
        reader.readline()


@pytest.mark.parametrize("protocol", sorted(SCRIPTS))
def test_refused_starttls_words_are_not_shown(protocol) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=_serve, args=(listener, SCRIPTS[protocol]), daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    try:
        result = probe(Candidate(protocol, "127.0.0.1", port, "starttls", "srv"), Resolver())
    finally:
        listener.close()
    assert not result.ok
    assert "refused STARTTLS" in detect_words.probe(result) or "refused STLS" in detect_words.probe(
        result
    )
    assert "evil" not in detect_words.probe(result) and "ALERT" not in detect_words.probe(result)
