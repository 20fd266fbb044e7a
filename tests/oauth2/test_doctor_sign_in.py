"""The doctor's sign-in checks for an auth = "oauth2" account, against the bundled
authorization server: valid with its expiry and scopes (introspection), not signed in,
revoked, a scope missing, no introspection; never the token itself."""

from __future__ import annotations

import json
import socket

import pytest

from tests.oauth2.helpers import device_sign_in, oauth_account
from testserver.server import MailServer
from tuimail.__main__ import main
from tuimail.core.config import save_account
from tuimail.core.doctor.oauth_checks import check_sign_in
from tuimail.core.doctor.server_checks import check_server
from tuimail.core.errors import Refused, Unreachable
from tuimail.core.oauth2 import store, tokens
from tuimail.core.oauth2.auth import NoOAuthMechanism
from tuimail.core.secrets import PasswordError
from tuimail.doctor_words import fix, render_json, seen
from tuimail.words.describe import describe
from tuimail.words.failures import failure_words


@pytest.fixture
def mail_server(test_ca):
    with MailServer(ca=test_ca, oauth=True, protocols=("imap",)) as server:
        yield server


def _revoked(account) -> str:
    """The words for a sign-in the bundled authorization server no longer accepts."""
    return (
        f"the authorization server no longer accepts the sign-in of {account.name} "
        "([invalid_grant] the refresh token is not valid): it was revoked (a password "
        "change, 'sign out everywhere', an administrator) or it expired"
    )


def _by_name(results):
    return {r.name: r for r in results}


def test_a_good_sign_in_is_valid_with_expiry_and_scopes(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    results = _by_name(check_sign_in(account))
    assert results["token"].status == "ok" and "expires in" in seen(results["token"])
    assert "kept in the memory" in seen(results["token"])
    assert results["scopes"].status == "ok"
    assert "scopes: mail" in seen(results["scopes"]) and user.login in seen(results["scopes"])
    # Core hands out data; the sentences are made in tuimail.doctor_words.
    assert results["token"].seen == results["scopes"].seen == ""
    assert results["token"].data["finding"] == "signed-in"
    assert results["scopes"].data["finding"] == "token-active"
    assert results["scopes"].data["granted"] == ["mail"]
    text = render_json(list(results.values()))
    assert tokens.access_token(account).reveal() not in text
    assert json.loads(text)["ok"] is True


def test_not_signed_in_says_how_to_sign_in(mail_server) -> None:
    account = oauth_account(mail_server, mail_server.new_user())
    [result] = check_sign_in(account)
    assert result.status == "failure" and isinstance(result.failure, tokens.NeedsSignIn)
    assert seen(result) == f"{account.name} is not signed in on this computer"
    assert fix(result) == (
        f"sign in: tuimail account login {account.name} (the device sign-in works over SSH too)"
    )


def test_a_revoked_sign_in_is_explained(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    mail_server.store.tokens.revoke_login(user.login)
    tokens._held.clear()  # a new run of the doctor
    [result] = check_sign_in(account)
    assert result.status == "failure" and isinstance(result.failure, tokens.NeedsSignIn)
    assert seen(result) == _revoked(account)
    assert fix(result) == f"sign in again: tuimail account login {account.name}"


def test_a_token_ended_early_is_renewed_before_it_is_judged(mail_server) -> None:
    """The access token held ended before its time at the server (the client still holds
    it): renewed once, as every login does; the sign-in works, so no "sign in again"."""
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    held = tokens.held(account).access_token.reveal()
    mail_server.store.tokens.expire_access_tokens(user.login)  # the client still holds it
    results = _by_name(check_sign_in(account))
    assert results["scopes"].status == "ok", results["scopes"]
    assert "scopes: mail" in seen(results["scopes"]) and fix(results["scopes"]) == ""
    assert tokens.held(account).access_token.reveal() != held  # a new one was obtained


def test_a_token_ended_early_whose_renewal_is_refused_needs_a_new_sign_in(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    mail_server.store.tokens.expire_access_tokens(user.login)  # the client still holds it
    mail_server.store.tokens.revoke_login(user.login)
    results = _by_name(check_sign_in(account))
    scopes = results["scopes"]
    assert scopes.status == "failure" and isinstance(scopes.failure, tokens.NeedsSignIn)
    assert seen(scopes) == _revoked(account)
    assert fix(scopes) == f"sign in again: tuimail account login {account.name}"


def test_a_scope_the_account_asks_for_but_did_not_get_is_a_warning(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    account.oauth2["scopes"] = ["mail", "calendar"]
    results = _by_name(check_sign_in(account))
    scopes = results["scopes"]
    assert scopes.status == "warning" and scopes.data["wanted"] == ["calendar"]
    assert seen(scopes) == (
        f"the token is active, scopes: mail, for {user.login}, expires in 60 minutes; "
        "it lacks calendar, which the account asks for"
    )
    assert fix(scopes).startswith("sign in again and allow every permission asked for")


def test_without_introspection_the_logins_decide(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    del account.oauth2["introspection_endpoint"]
    device_sign_in(mail_server, user, account)
    results = _by_name(check_sign_in(account))
    assert results["scopes"].status == "ok" and "no token introspection" in seen(results["scopes"])


def test_a_password_account_has_no_sign_in_checks(mail_server) -> None:
    account = oauth_account(mail_server, mail_server.new_user(), auth="password", oauth2=None)
    assert check_sign_in(account) == []


def _signed_in_then_asked_again(mail_server, **oauth2):
    """An account signed in on the bundled server whose next token needs the token
    endpoint (nothing held in memory), with `oauth2` changed after the sign-in."""
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    tokens._held.clear()  # a new run of the doctor
    account.oauth2.update(oauth2)
    # The token kept as issued by the endpoint now named (that endpoint gone bad): a token
    # is never sent to another endpoint than its issuer's (test_refresh_token_bound).
    store.save(
        account.name,
        store.load(account.name, account.oauth2_token_store),
        account.oauth2_token_store,
        tokens.endpoints(account).token_endpoint,
    )
    return account


def test_a_client_the_authorization_server_does_not_know_is_typed(mail_server) -> None:
    account = _signed_in_then_asked_again(mail_server, client_id="not-registered")
    [result] = check_sign_in(account)
    assert result.status == "failure" and isinstance(result.failure, Refused), result
    assert result.seen == "" and result.data == {"finding": "client-refused"}
    assert seen(result).startswith("the authorization server refused this application (")
    assert "invalid_client" in seen(result) and "client_id" in fix(result)


def test_a_token_endpoint_that_cannot_be_reached_is_typed(mail_server) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: refused
        endpoint = f"https://127.0.0.1:{closed.getsockname()[1]}/token"
        account = _signed_in_then_asked_again(mail_server, token_endpoint=endpoint)
        [result] = check_sign_in(account, timeout=5)
    assert result.status == "failure" and isinstance(result.failure, Unreachable), result
    assert result.seen == "" and result.data == {"finding": "token-unavailable"}
    said = seen(result)
    assert (
        said
        == f"the authorization server could not be asked for a token ({describe(result.failure)})"
    )
    assert fix(result) == "check the network, or try again later"


def test_a_failing_token_command_says_its_own_words(mail_server) -> None:
    account = oauth_account(mail_server, mail_server.new_user())
    account.oauth2_token_command = "echo 'no token today' >&2; exit 3"
    [result] = check_sign_in(account)
    assert result.status == "failure" and isinstance(result.failure, PasswordError), result
    assert result.seen == "" and seen(result) == describe(result.failure)
    assert "oauth2_token_command" in seen(result) and "by hand" in fix(result)


@pytest.fixture
def imap_smtp_oauth(test_ca):
    with MailServer(ca=test_ca, oauth=True, protocols=("imap", "smtp")) as server:
        yield server


def test_a_sign_in_revoked_between_the_checks_is_said_at_the_login(imap_smtp_oauth) -> None:
    """The token held is rejected and cannot be renewed (the sign-in was revoked): the
    login line carries NeedsSignIn and says no login was tried, with the sign-in to run."""
    server = imap_smtp_oauth
    user = server.new_user()
    account = oauth_account(server, user)
    device_sign_in(server, user, account)
    token = tokens.access_token(account)
    server.store.tokens.expire_access_tokens(user.login)
    server.store.tokens.revoke_login(user.login)
    (login,) = [r for r in check_server("imap", account, token, timeout=5) if r.name == "login"]
    assert login.status == "failure" and isinstance(login.failure, tokens.NeedsSignIn), login
    # what is wrong in the finding, what to run once, in the fix (not in both)
    assert login.seen == "" and seen(login) == f"no login was tried: {_revoked(account)}"
    assert fix(login) == f"sign in again: tuimail account login {account.name}"


def test_a_server_without_oauth_login_is_typed(imap_smtp_oauth) -> None:
    server = imap_smtp_oauth
    user = server.new_user()
    server.faults.add(protocol="smtp", kind="auth_mechanisms", data=b"PLAIN LOGIN")
    account = oauth_account(server, user)
    device_sign_in(server, user, account)
    token = tokens.access_token(account)
    (login,) = [r for r in check_server("smtp", account, token, timeout=5) if r.name == "login"]
    assert login.status == "failure" and isinstance(login.failure, NoOAuthMechanism), login
    assert login.seen == "" and seen(login) == f"{failure_words(login.failure)}; no token was sent"
    assert "PLAIN" in seen(login) and 'auth = "password"' in fix(login)


def test_the_cli_doctor_reports_a_revoked_sign_in_as_revoked_and_the_fix_once(
    imap_smtp_oauth, capsys
) -> None:
    """`tuimail doctor` asks for the token first (for the logins); the refused refresh
    token is forgotten at once, so the sign-in check reports the refusal it met, not "not
    signed in", and the command to run appears once in all the doctor says."""
    user = imap_smtp_oauth.new_user()
    account = oauth_account(imap_smtp_oauth, user)
    save_account(account)
    device_sign_in(imap_smtp_oauth, user, account)
    imap_smtp_oauth.store.tokens.revoke_login(user.login)
    tokens._held.clear()  # a new run of the doctor
    args = ["doctor", account.name, "--no-send", "--timeout", "5", "--nameserver"]
    assert main([*args, f"127.0.0.1:{imap_smtp_oauth.dns_port}"]) == 1
    out, err = capsys.readouterr()
    assert err == (
        "tuimail: No usable sign-in (the OAuth 2.0 sign-in check says why); the login "
        "checks are skipped.\n"
    )
    assert f"[FAILURE] token: {_revoked(account)} (" in out
    assert (out + err).count(f"tuimail account login {account.name}") == 1, out + err
