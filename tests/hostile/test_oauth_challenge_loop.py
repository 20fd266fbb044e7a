"""The OAuth error challenge (RFC 7628 3.2.3): the client answers the server's base64 JSON
once (XOAUTH2: an empty line; OAUTHBEARER: %x01) and then expects the tagged NO. A server
that keeps sending challenges gets no second answer: the login fails as a protocol
violation instead of going round for as long as the server likes."""

from __future__ import annotations

import base64
import json

import imapclient
import pytest

from tests.hostile.scripted import Conn, ImapScript
from tuimail.core import errors
from tuimail.core.oauth2.auth import TokenRejected, imap_authenticate
from tuimail.core.secrets import Secret
from tuimail.core.tls import client_context

CHALLENGE = base64.b64encode(json.dumps({"status": "401", "schemes": "bearer"}).encode())
GREETING = b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER] ready\r\n"


class Challenging(ImapScript):
    """AUTHENTICATE: the error challenge, again after every answer (up to `times`), then NO."""

    def __init__(self, times: int) -> None:
        super().__init__(greeting=GREETING)
        self.times = times
        self.answers: list[bytes] = []
        self.overrides["AUTHENTICATE"] = self.authenticate
        self.overrides["CAPABILITY"] = lambda conn, tag, args: conn.send(
            b"* " + GREETING[5:].split(b"]")[0].lstrip(b"[") + b"\r\n" + tag + b" OK done\r\n"
        )

    def authenticate(self, conn: Conn, tag: bytes, args: bytes) -> None:
        for _ in range(self.times):
            conn.send(b"+ " + CHALLENGE + b"\r\n")
            raw = conn.file.readline()
            if not raw:  # the client closed the connection
                return
            line = raw.rstrip(b"\r\n")
            self.answers.append(line)
            if line == b"*":  # the client cancelled the exchange (RFC 3501 6.2.2)
                break
        conn.send(tag + b" NO [AUTHENTICATIONFAILED] invalid token\r\n")


def _login(server, mechanism: str):
    client = imapclient.IMAPClient(
        server.host, server.port, ssl=True, ssl_context=client_context(server.ca_file), timeout=5
    )
    try:
        return imap_authenticate(client, "bob", Secret("a-token"), mechanism=mechanism)
    finally:
        client.shutdown()


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_one_error_challenge_gets_one_answer_and_the_refusal_is_typed(scripted, mechanism):
    script = Challenging(times=1)
    with scripted(script) as server, pytest.raises(TokenRejected) as raised:
        _login(server, mechanism)
    empty = b"" if mechanism == "XOAUTH2" else base64.b64encode(b"\x01")
    assert script.answers == [empty]
    assert raised.value.challenge is not None


def test_a_server_that_keeps_challenging_gets_one_answer_only(scripted):
    script = Challenging(times=50)
    with scripted(script) as server, pytest.raises(errors.MailError) as raised:
        _login(server, "XOAUTH2")
    assert isinstance(raised.value, errors.ProtocolViolation), raised.value
    assert script.answers == [b""], script.answers[:5]
