"""OAUTHBEARER and XOAUTH2 over real sockets to the bundled IMAP, POP3 and SMTP servers:
accepted tokens log in, a rejected token is TokenRejected with the server's error challenge
decoded, after exactly one AUTH command; IMAP with SASL-IR and without it."""

from __future__ import annotations

import asyncio

import aiosmtplib
import pytest

from tests.oauth2.helpers import device_sign_in, oauth_account
from testserver.server import MailServer
from tuimail.core import connect
from tuimail.core.oauth2 import auth, tokens
from tuimail.core.secrets import Secret
from tuimail.words.failures import failure_words
from tuimail.words.sign_in import challenge_words


@pytest.fixture
def signed_in(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        user = server.new_user()
        account = oauth_account(server, user)
        device_sign_in(server, user, account)
        yield server, user, account


MECHANISMS = ["OAUTHBEARER", "XOAUTH2"]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_imap_login_with_the_token(signed_in, mechanism) -> None:
    server, user, account = signed_in
    client = connect.open_imap(account.incoming, account.ca_file, 10)
    try:
        used = auth.imap_authenticate(client, user.login, tokens.access_token(account),
                                      host=server.host, mechanism=mechanism)  # fmt: skip
        assert used == mechanism
        assert client.select_folder("INBOX")
    finally:
        client.logout()


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_imap_rejected_token_carries_the_decoded_challenge(signed_in, mechanism) -> None:
    server, user, account = signed_in
    client = connect.open_imap(account.incoming, account.ca_file, 10)
    try:
        with pytest.raises(auth.TokenRejected) as info:
            auth.imap_authenticate(client, user.login, Secret("not-a-token"),
                                   host=server.host, mechanism=mechanism)  # fmt: skip
        assert info.value.code == "AUTHENTICATIONFAILED"
        status = "invalid_token" if mechanism == "OAUTHBEARER" else "401"
        assert info.value.challenge.status == status and info.value.challenge.scope == "mail"
        assert "not valid" in challenge_words(info.value.data)
        # The connection is still usable: the retry with a good token works on it.
        auth.imap_authenticate(client, user.login, tokens.access_token(account),
                               host=server.host, mechanism=mechanism)  # fmt: skip
        assert client.select_folder("INBOX")
    finally:
        client.logout()
    attempts = server.protocol_server("imap").auth_log
    assert [a.success for a in attempts] == [False, True]  # one AUTHENTICATE each


def test_imap_without_sasl_ir_sends_the_response_after_the_continuation(signed_in) -> None:
    server, user, account = signed_in
    client = connect.open_imap(account.incoming, account.ca_file, 10)
    try:
        caps = tuple(c for c in client.capabilities() if c != b"SASL-IR")
        client.capabilities = lambda: caps  # as a server without SASL-IR
        auth.imap_authenticate(client, user.login, tokens.access_token(account), host=server.host)
        assert client.select_folder("INBOX")
    finally:
        client.logout()


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_pop3_login_and_rejection(signed_in, mechanism) -> None:
    server, user, account = signed_in
    settings = type(account.incoming)(server.host, server.ports.pop3_tls, "tls")
    conn = connect.open_pop3(settings, account.ca_file, 10)
    try:
        sasl = conn.capa()["SASL"]
        with pytest.raises(auth.TokenRejected) as info:
            auth.pop3_authenticate(conn, user.login, Secret("x" * 40), sasl,
                                   host=server.host, mechanism=mechanism)  # fmt: skip
        assert info.value.challenge.scope == "mail"
        token = tokens.access_token(account)
        assert auth.pop3_authenticate(conn, user.login, token, sasl, host=server.host,
                                      mechanism=mechanism) == mechanism  # fmt: skip
        assert conn.stat()[0] == 0
    finally:
        conn.quit()


def test_pop3_a_long_token_goes_after_the_continuation(signed_in) -> None:
    server, user, account = signed_in
    settings = type(account.incoming)(server.host, server.ports.pop3_tls, "tls")
    conn = connect.open_pop3(settings, account.ca_file, 10)
    try:
        long_token = Secret("y" * 400)  # over 255 octets with AUTH: no initial response
        with pytest.raises(auth.TokenRejected):
            auth.pop3_authenticate(conn, user.login, long_token, conn.capa()["SASL"],
                                   host=server.host)  # fmt: skip
    finally:
        conn.quit()


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_smtp_login_and_rejection(signed_in, mechanism) -> None:
    server, user, account = signed_in

    async def run() -> None:
        smtp = aiosmtplib.SMTP(**connect.smtp_kwargs(account.outgoing, account.ca_file, 10))
        await smtp.connect()
        await smtp.ehlo()
        with pytest.raises(auth.TokenRejected) as info:
            await auth.smtp_authenticate(smtp, user.login, Secret("bad"), host=server.host,
                                         mechanism=mechanism)  # fmt: skip
        assert info.value.code == 535 and info.value.challenge.scope == "mail"
        used = await auth.smtp_authenticate(smtp, user.login, tokens.access_token(account),
                                            host=server.host, mechanism=mechanism)  # fmt: skip
        assert used == mechanism
        await smtp.quit()

    asyncio.run(run())


def test_a_server_without_oauth_is_a_clear_refusal(test_ca) -> None:
    from tuimail.core.account import ServerSettings

    with MailServer(ca=test_ca, protocols=("imap",)) as plain_server:  # no OAuth there
        settings = ServerSettings(plain_server.host, plain_server.ports.imap_tls, "tls")
        client = connect.open_imap(settings, str(plain_server.ca_file), 10)
        try:
            with pytest.raises(auth.NoOAuthMechanism) as info:
                auth.imap_authenticate(client, "u", Secret("t"), host=plain_server.host)
            assert info.value.data == {"offered": ["PLAIN"]}  # data; words at the edge
            assert failure_words(info.value) == (
                "the server offers no OAuth login (OAUTHBEARER or XOAUTH2; it offers: PLAIN)"
            )
        finally:
            client.logout()
