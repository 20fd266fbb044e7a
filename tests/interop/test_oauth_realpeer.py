"""OAuth 2.0 against the real Dovecot + Postfix: a separate bed whose Dovecot has the oauth2
passdb pointed at the bundled authorization server's introspection endpoint (RFC 7662,
post mode, over TLS to its CA), and Postfix submission authenticating through Dovecot SASL.
tuimail logs in to IMAP and POP3 and submits with OAUTHBEARER and with XOAUTH2, with the
built-in sign-in and with oauth2_token_command; a rejected token is a TokenRejected with
Dovecot's error challenge decoded."""

from __future__ import annotations

import asyncio
import os
import shlex

import aiosmtplib
import pytest

from tests.fixtures.realpeer_bed import DovecotPeer
from tests.fixtures.realpeer_procs import missing_requirements
from tests.oauth2.helpers import device_sign_in
from testserver.oauth import CLIENT_ID
from testserver.server import MailServer
from tuimail.core import connect
from tuimail.core.account import Account, ServerSettings
from tuimail.core.oauth2 import auth, store, tokens
from tuimail.core.secrets import Secret, get_password

pytestmark = pytest.mark.interop
MECHANISMS = ["OAUTHBEARER", "XOAUTH2"]


@pytest.fixture(scope="module")
def authorization_server(test_ca):
    with MailServer(ca=test_ca, oauth=True, protocols=("imap",)) as server:
        yield server


@pytest.fixture(scope="module")
def oauth_bed(authorization_server):
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    introspect = authorization_server.oauth.metadata()["introspection_endpoint"]
    peer = DovecotPeer(pool_size=20, oauth2=(introspect, str(authorization_server.ca_file)))
    umask = os.umask(0o022)
    try:
        peer.start()
    finally:
        os.umask(umask)
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture(autouse=True)
def no_sign_in_held():
    store._memory.clear()
    tokens._held.clear()
    yield
    store._memory.clear()
    tokens._held.clear()


def _account(bed, server, user, **overrides) -> Account:
    meta = server.oauth.metadata()
    values = dict(
        name="dovecot",
        email=user.email,
        incoming=ServerSettings(bed.host, bed.ports.imap_tls, "tls"),
        outgoing=ServerSettings(bed.host, bed.ports.smtp_tls, "tls"),
        ca_file=bed.ca_file,
        auth="oauth2",
        oauth2={
            "client_id": CLIENT_ID,
            "token_endpoint": meta["token_endpoint"],
            "device_authorization_endpoint": meta["device_authorization_endpoint"],
            "scopes": ["mail"],
        },
    )
    return Account(**(values | overrides))


@pytest.fixture
def signed_in(oauth_bed, authorization_server, tmp_path):
    """A Dovecot user, signed in at the bundled authorization server (same login there),
    with the authorization server's CA trusted for the sign-in and the bed's for mail."""
    user = oauth_bed.new_user()
    authorization_server.add_user(user.login, user.password)
    both = tmp_path / "cas.pem"
    both.write_text(open(oauth_bed.ca_file).read() + open(authorization_server.ca_file).read())
    account = _account(oauth_bed, authorization_server, user, ca_file=str(both))
    device_sign_in(authorization_server, user, account)
    return oauth_bed, user, account


def _imap(account: Account, token: Secret, mechanism: str) -> str:
    client = connect.open_imap(account.incoming, account.ca_file, 20)
    try:
        used = auth.imap_authenticate(client, account.login, token,
                                      host=account.incoming.host, mechanism=mechanism)  # fmt: skip
        client.select_folder("INBOX")
        return used
    finally:
        client.logout()


def _pop3(bed, account: Account, token: Secret, mechanism: str) -> str:
    settings = ServerSettings(bed.host, bed.ports.pop3_tls, "tls")
    conn = connect.open_pop3(settings, account.ca_file, 20)
    try:
        sasl = conn.capa()["SASL"]
        used = auth.pop3_authenticate(conn, account.login, token, sasl, host=bed.host,
                                      mechanism=mechanism)  # fmt: skip
        conn.stat()
        return used
    finally:
        conn.quit()


def _submit(bed, account: Account, token: Secret, mechanism: str, subject: str) -> str:
    async def run() -> str:
        smtp = aiosmtplib.SMTP(**connect.smtp_kwargs(account.outgoing, account.ca_file, 20))
        await smtp.connect()
        await smtp.ehlo()
        used = await auth.smtp_authenticate(smtp, account.login, token,
                                            host=bed.host, mechanism=mechanism)  # fmt: skip
        raw = (f"From: {account.email}\r\nTo: {account.email}\r\nSubject: {subject}\r\n\r\n"
               "sent with an OAuth token\r\n")  # fmt: skip
        await smtp.sendmail(account.email, [account.email], raw)
        await smtp.quit()
        return used

    return asyncio.run(run())


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_built_in_sign_in_logs_in_to_imap_pop3_and_submits(signed_in, mechanism) -> None:
    bed, user, account = signed_in
    token = get_password(account)
    assert _imap(account, token, mechanism) == mechanism
    assert _pop3(bed, account, token, mechanism) == mechanism
    subject = f"oauth {mechanism}"
    assert _submit(bed, account, token, mechanism, subject) == mechanism
    bed.wait_for_message(user, lambda raw: subject.encode() in raw, 30)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_token_command_logs_in_to_imap_pop3_and_submits(signed_in, mechanism, tmp_path) -> None:
    bed, user, account = signed_in
    helper = tmp_path / "token"
    helper.write_text(tokens.access_token(account).reveal() + "\n")
    by_command = Account(
        name="by-command",
        email=user.email,
        incoming=account.incoming,
        outgoing=account.outgoing,
        ca_file=account.ca_file,
        auth="oauth2",
        oauth2_token_command=f"cat {shlex.quote(str(helper))}",
    )
    token = get_password(by_command)
    assert _imap(by_command, token, mechanism) == mechanism
    assert _pop3(bed, by_command, token, mechanism) == mechanism
    subject = f"oauth command {mechanism}"
    assert _submit(bed, by_command, token, mechanism, subject) == mechanism
    bed.wait_for_message(user, lambda raw: subject.encode() in raw, 30)


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_dovecot_rejects_a_revoked_token_with_its_error_challenge(
    signed_in, authorization_server, mechanism
) -> None:
    bed, user, account = signed_in
    token = get_password(account)
    authorization_server.store.tokens.revoke_login(user.login)
    with pytest.raises(auth.TokenRejected) as imap_refusal:
        _imap(account, token, mechanism)
    assert imap_refusal.value.code == "AUTHENTICATIONFAILED"
    if mechanism == "OAUTHBEARER":
        assert imap_refusal.value.challenge.status == "invalid_token"
    with pytest.raises(auth.TokenRejected):
        _pop3(bed, account, token, mechanism)
    with pytest.raises(auth.TokenRejected) as smtp_refusal:
        _submit(bed, account, token, mechanism, "never sent")
    assert smtp_refusal.value.code == 535


def _send_cli(monkeypatch, user, subject: str, name: str) -> int:
    import io
    import sys

    from tuimail.__main__ import main

    raw = f"From: {user.email}\r\nTo: {user.email}\r\nSubject: {subject}\r\n\r\nhello\r\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw.encode())))
    return main(["send", "--account", name, user.email])


@pytest.mark.parametrize("how", ["built-in", "command"])
def test_sync_and_send_through_the_one_login(signed_in, how, tmp_path, monkeypatch, capsys):
    """The whole client (tuimail sync, tuimail send: the runtime's and the outbox's
    logins) against Dovecot and Postfix with an OAuth account."""
    from tuimail.__main__ import main
    from tuimail.core.config import save_account

    bed, user, account = signed_in
    bed.deliver(user, b"Subject: waiting in dovecot\r\n\r\nhi\r\n")
    if how == "command":
        helper = tmp_path / "token"
        helper.write_text(tokens.access_token(account).reveal() + "\n")
        account.oauth2 = None
        account.oauth2_token_command = f"cat {shlex.quote(str(helper))}"
    save_account(account)
    assert main(["sync"]) == 0, capsys.readouterr().err
    assert main(["list", "--json"]) == 0 and "waiting in dovecot" in capsys.readouterr().out
    subject = f"through postfix {how}"
    assert _send_cli(monkeypatch, user, subject, account.name) == 0, capsys.readouterr().err
    bed.wait_for_message(user, lambda raw: subject.encode() in raw, 30)
