"""Over the bundled authorization server: what goes wrong in a sign-in is typed where it
happens (a reason, data, the server's OAuth code and words), with no sentence of core's
in it; `tuimail account login`, the wizard and the app word it in tuimail.words."""

from __future__ import annotations

import pytest

from tests.oauth2.helpers import device_sign_in, oauth_account
from testserver.server import MailServer
from tuimail.core import errors
from tuimail.core.oauth2 import flows, tokens
from tuimail.words.describe import describe
from tuimail.words.login import sign_in_failure


@pytest.fixture(scope="module")
def mail_server(test_ca):
    with MailServer(ca=test_ca, oauth=True, protocols=("imap",)) as server:
        yield server


def test_an_unknown_client_is_refused_as_data_and_worded_at_the_edge(mail_server) -> None:
    account = oauth_account(mail_server, mail_server.new_user())
    account.oauth2["client_id"] = "nobody-registered-this"
    with pytest.raises(errors.MailError) as raised:
        flows.start_device(tokens.endpoints(account))
    error = raised.value
    assert isinstance(error, errors.Refused) and error.message == ""
    assert (error.reason, error.data) == ("oauth", {"step": "device-start"})
    assert error.code == "invalid_client"
    assert sign_in_failure(error).startswith(
        "the authorization server refused this application (invalid_client): check "
        "client_id and client_secret"
    )


def test_a_cancelled_sign_in_is_a_code_not_a_sentence(mail_server) -> None:
    account = oauth_account(mail_server, mail_server.new_user())
    ep = tokens.endpoints(account)
    device = flows.start_device(ep)
    with pytest.raises(flows.SignInError) as raised:
        flows.poll_device(ep, device, sleep=lambda _s: None, cancelled=lambda: True)
    error = raised.value
    assert (error.message, error.reason, error.code) == ("", "sign-in", "cancelled")
    assert sign_in_failure(error) == "the sign-in was cancelled."


def test_a_revoked_sign_in_carries_no_sentence_of_cores(mail_server) -> None:
    user = mail_server.new_user()
    account = oauth_account(mail_server, user)
    device_sign_in(mail_server, user, account)
    mail_server.store.tokens.revoke_login(user.login)
    tokens._held.clear()  # a new run
    with pytest.raises(tokens.NeedsSignIn) as raised:
        tokens.access_token(account)
    error = raised.value
    assert error.message == "" and error.account == account.name
    said = describe(error)
    assert said.startswith(
        f"the authorization server no longer accepts the sign-in of {account.name}"
    )
    assert said.endswith(f"sign in again: tuimail account login {account.name}")


def test_a_provider_without_a_client_says_which_account(mail_server) -> None:
    account = oauth_account(mail_server, mail_server.new_user())
    del account.oauth2["client_id"]
    with pytest.raises(errors.Refused) as raised:
        tokens.endpoints(account)
    error = raised.value
    assert (error.message, error.reason) == ("", "no-client")
    assert describe(error) == f"the account {account.name} has no OAuth client_id or token_endpoint"
