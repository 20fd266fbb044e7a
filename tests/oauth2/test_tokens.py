"""The token manager against the bundled authorization server over verified HTTPS: the
access token for an oauth2 account, renewed before expiry, renewed once when the server
rejects it, a revoked sign-in as NeedsSignIn; oauth2_token_command; tokens never shown."""

from __future__ import annotations

import logging
import time

import pytest
from imapclient import IMAPClient

from tests.oauth2.helpers import device_sign_in, oauth_account
from testserver.server import MailServer
from tuimail.core import errors
from tuimail.core.oauth2 import store, tokens
from tuimail.core.secrets import PasswordError, get_password
from tuimail.core.tls import client_context
from tuimail.words.password import password_words


@pytest.fixture
def mail_server(test_ca):
    with MailServer(ca=test_ca, oauth=True, protocols=("imap",)) as server:
        yield server


def _accepted(server, user, token) -> bool:
    with IMAPClient(server.host, port=server.ports.imap_tls,
                    ssl_context=client_context(server.ca_file), timeout=10) as client:  # fmt: skip
        try:
            client.oauthbearer_login(user.login, token.reveal())
        except Exception:
            return False
        return True


def test_get_password_of_an_oauth2_account_is_its_access_token(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    assert device_sign_in(mail_server, user, account) == "memory"  # no keyring in tests
    token = get_password(account)
    assert isinstance(token, tokens.BearerToken)
    assert repr(token) == "***" and token.reveal() not in repr(tokens.held(account))
    assert _accepted(mail_server, user, token)
    assert get_password(account) == token  # held: no new request per login


def test_a_token_near_expiry_is_renewed_before_use_and_the_rotated_refresh_kept(
    mail_server,
) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    first = tokens.access_token(account)
    first_refresh = store.load(account.name)
    tokens.held(account).expires_at = time.time() + 10  # within a minute of expiry
    mail_server.store.tokens.expire_access_tokens(user.login)
    second = tokens.access_token(account)
    assert second != first and _accepted(mail_server, user, second)
    assert store.load(account.name) != first_refresh  # the server rotates refresh tokens


def test_a_rejected_token_is_renewed_once_and_the_login_retried_once(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    token = tokens.access_token(account)
    mail_server.store.tokens.expire_access_tokens(user.login)  # the client does not know
    tried: list[str] = []

    def attempt(t: tokens.BearerToken) -> str:
        tried.append(t.reveal())
        if not _accepted(mail_server, user, t):
            raise errors.AuthenticationFailed("rejected", protocol="imap")
        return "ok"

    assert tokens.with_bearer(token, attempt) == "ok"
    assert len(tried) == 2 and tried[0] != tried[1]

    tried.clear()

    def always_rejected(t: tokens.BearerToken) -> str:
        tried.append(t.reveal())
        raise errors.AuthenticationFailed("rejected", protocol="imap")

    with pytest.raises(errors.AuthenticationFailed):
        tokens.with_bearer(tokens.access_token(account), always_rejected)
    assert len(tried) == 2  # one renewal, one retry, never a loop


def test_a_revoked_sign_in_needs_a_new_sign_in(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    tokens.access_token(account)
    mail_server.store.tokens.revoke_login(user.login)
    tokens.held(account).expires_at = 0
    with pytest.raises(tokens.NeedsSignIn) as info:
        tokens.access_token(account)
    assert isinstance(info.value, errors.AuthenticationFailed)
    assert isinstance(info.value, PasswordError)
    assert info.value.code == "invalid_grant"
    assert store.load(account.name) is None  # a refused refresh token is not kept
    device_sign_in(mail_server, user, account)  # signing in again resumes
    assert _accepted(mail_server, user, tokens.access_token(account))


def test_never_signed_in_is_needs_sign_in() -> None:
    from tuimail.core.account import Account, ServerSettings

    account = Account(
        name="new",
        email="me@outlook.test",
        incoming=ServerSettings("outlook.office365.com", 993),
        outgoing=ServerSettings("smtp.office365.com", 587, "starttls"),
        auth="oauth2",
        oauth2={"provider": "microsoft", "client_id": "abc"},
    )
    with pytest.raises(tokens.NeedsSignIn) as info:
        get_password(account)
    assert info.value.code == "not_signed_in"
    ep = tokens.endpoints(account)
    assert ep.device_authorization_endpoint.startswith("https://login.microsoftonline.com/")
    assert ep.scopes and ep.client_id == "abc"


def test_oauth2_token_command_gives_the_token_and_runs_again_on_rejection(
    mail_server, tmp_path
) -> None:
    user = mail_server.new_user()
    good = oauth_account(mail_server, user, name="helper-source")
    device_sign_in(mail_server, user, good)
    stale = tmp_path / "stale"
    stale.write_text("not-a-live-token\n")
    fresh = tmp_path / "fresh"
    fresh.write_text(tokens.access_token(good).reveal() + "\n")
    # A helper that prints a stale token first and a live one when asked again.
    counter = tmp_path / "n"
    command = f"if [ -e {counter} ]; then cat {fresh}; else touch {counter}; cat {stale}; fi"
    account = oauth_account(mail_server, user, name="cmd", oauth2=None,
                            oauth2_token_command=command)  # fmt: skip
    calls: list[str] = []

    def attempt(t: tokens.BearerToken) -> bool:
        calls.append(t.reveal())
        if not _accepted(mail_server, user, t):
            raise errors.AuthenticationFailed("rejected", protocol="imap")
        return True

    assert tokens.with_bearer(get_password(account), attempt)
    assert calls == ["not-a-live-token", fresh.read_text().strip()]


def test_a_failing_token_command_is_a_sentence_with_its_stderr() -> None:
    from tuimail.core.account import Account, ServerSettings

    account = Account(
        name="c",
        email="me@x.test",
        incoming=ServerSettings("x.test", 993),
        outgoing=ServerSettings("x.test", 465),
        auth="oauth2",
        oauth2_token_command="echo 'no such account' >&2; exit 3",
    )
    with pytest.raises(PasswordError) as info:
        get_password(account)
    assert info.value.data["what"] == "oauth2_token_command"  # typed; worded at the edge
    said = password_words(info.value)
    assert "oauth2_token_command failed (exit status 3): no such account" in said


def test_tokens_never_reach_a_log(mail_server, caplog) -> None:
    from tuimail.core.logs import redact

    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    token = tokens.access_token(account)
    refresh = store.load(account.name)
    logging.getLogger("tuimail.test").warning("token %s %s", token.reveal(), refresh.reveal())
    line = redact(caplog.records[-1].getMessage())
    assert token.reveal() not in line and refresh.reveal() not in line
