"""The doctor's sign-in checks for an auth = "oauth2" account, against the bundled
authorization server: valid with its expiry and scopes (introspection), not signed in,
revoked, a scope missing, no introspection; never the token itself."""

from __future__ import annotations

import json

import pytest

from tests.oauth2.helpers import device_sign_in, oauth_account
from testserver.server import MailServer
from tuimail.core.doctor.oauth_checks import check_sign_in
from tuimail.core.oauth2 import tokens
from tuimail.doctor_words import fix, render_json, seen


@pytest.fixture
def mail_server(test_ca):
    with MailServer(ca=test_ca, oauth=True, protocols=("imap",)) as server:
        yield server


def _by_name(results):
    return {r.name: r for r in results}


def test_a_good_sign_in_is_valid_with_expiry_and_scopes(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    results = _by_name(check_sign_in(account))
    assert results["token"].status == "ok" and "expires in" in results["token"].seen
    assert "kept in the memory" in results["token"].seen
    assert results["scopes"].status == "ok"
    assert "scopes: mail" in results["scopes"].seen and user.login in results["scopes"].seen
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
    said = seen(result)
    assert said.startswith("the authorization server no longer accepts this sign-in (invalid_grant")
    assert (
        "revoked" in said and fix(result) == f"sign in again: tuimail account login {account.name}"
    )


def test_a_token_rejected_since_it_was_issued_is_not_active(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    mail_server.store.tokens.expire_access_tokens(user.login)  # the client still holds it
    results = _by_name(check_sign_in(account))
    assert results["scopes"].status == "failure" and "not active" in results["scopes"].seen


def test_a_scope_the_account_asks_for_but_did_not_get_is_a_warning(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    account.oauth2["scopes"] = ["mail", "calendar"]
    results = _by_name(check_sign_in(account))
    assert results["scopes"].status == "warning" and "lacks calendar" in results["scopes"].seen


def test_without_introspection_the_logins_decide(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    del account.oauth2["introspection_endpoint"]
    device_sign_in(mail_server, user, account)
    results = _by_name(check_sign_in(account))
    assert results["scopes"].status == "ok" and "no token introspection" in results["scopes"].seen


def test_a_password_account_has_no_sign_in_checks(mail_server) -> None:
    account = oauth_account(mail_server, mail_server.new_user(), auth="password", oauth2=None)
    assert check_sign_in(account) == []
