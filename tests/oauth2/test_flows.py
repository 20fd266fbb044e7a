"""Sign-in flows against the bundled authorization server over verified HTTPS: the device
grant (pending, slow_down, denial, expiry), the authorization code with PKCE on a loopback
redirect, refresh and revocation; the tokens then open real IMAP sessions."""

from __future__ import annotations

import threading
import time

import pytest
from imapclient import IMAPClient

from tests.oauth2.helpers import browser, endpoints
from testserver.server import MailServer
from tuimail.core import errors
from tuimail.core.oauth2 import flows
from tuimail.core.tls import client_context


@pytest.fixture
def mail_server(test_ca):
    with MailServer(ca=test_ca, oauth=True, protocols=("imap",)) as server:
        yield server


def _imap_login(server, user, token: str) -> None:
    with IMAPClient(server.host, port=server.ports.imap_tls,
                    ssl_context=client_context(server.ca_file), timeout=10) as client:  # fmt: skip
        client.oauthbearer_login(user.login, token)
        assert client.select_folder("INBOX")


def test_device_sign_in_then_imap_with_the_token(mail_server) -> None:
    user = mail_server.new_user()
    ep = endpoints(mail_server)
    device = flows.start_device(ep)
    assert device.verification_uri == mail_server.oauth.issuer + "/device"
    assert "-" in device.user_code
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:  # the person approves while tuimail polls
            mail_server.oauth.approve_device(device.user_code, user.login, user.password)
        time.sleep(min(seconds, 1.2))

    tokens = flows.poll_device(ep, device, sleep=sleep)
    assert len(sleeps) >= 2 and sleeps[0] >= 1
    assert "***" in repr(tokens) and tokens.access_token.reveal() not in repr(tokens)
    assert tokens.refresh_token is not None and not tokens.expires_within(60)
    _imap_login(mail_server, user, tokens.access_token.reveal())


def test_polling_too_fast_is_slowed_down_by_five_seconds(mail_server) -> None:
    user = mail_server.new_user()
    ep = endpoints(mail_server)
    device = flows.start_device(ep)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # polls at once: the server answers slow_down
        sleeps.append(seconds)
        if len(sleeps) == 3:
            mail_server.oauth.approve_device(device.user_code, user.login, user.password)
            time.sleep(1.2)

    flows.poll_device(ep, device, sleep=sleep)
    assert sleeps[2] == sleeps[1] + 5  # pending first, then polled at once: slow_down


def test_a_declined_or_expired_device_code_is_a_sign_in_error(mail_server) -> None:
    user = mail_server.new_user()
    ep = endpoints(mail_server)
    device = flows.start_device(ep)
    mail_server.oauth.approve_device(device.user_code, user.login, user.password, approve=False)
    with pytest.raises(flows.SignInError) as denied:
        flows.poll_device(ep, device, sleep=lambda s: time.sleep(1.1))
    assert denied.value.code == "access_denied"
    device = flows.start_device(ep)
    device.expires_at = time.monotonic() - 1
    with pytest.raises(flows.SignInError) as expired:
        flows.poll_device(ep, device, sleep=lambda s: None)
    assert expired.value.code == "expired_token"
    assert isinstance(expired.value, errors.AuthenticationFailed)


def test_cancelling_the_device_sign_in(mail_server) -> None:
    ep = endpoints(mail_server)
    device = flows.start_device(ep)
    stop = threading.Event()
    stop.set()
    with pytest.raises(flows.SignInError) as cancelled:
        flows.poll_device(ep, device, sleep=lambda s: None, cancelled=stop.is_set)
    assert cancelled.value.code == "cancelled"


def test_browser_sign_in_with_pkce_on_a_loopback_redirect(mail_server) -> None:
    user = mail_server.new_user()
    tokens = flows.browser_sign_in(endpoints(mail_server), browser(mail_server, user), timeout=30)
    _imap_login(mail_server, user, tokens.access_token.reveal())
    methods = [r for r in mail_server.oauth.requests if r[1] == "/token"]
    assert "code_verifier" in methods[-1][2]  # PKCE was used


def test_browser_answer_with_another_state_is_refused(mail_server) -> None:
    user = mail_server.new_user()
    with pytest.raises(errors.SecurityFailure):
        flows.browser_sign_in(
            endpoints(mail_server), browser(mail_server, user, forge_state=True), timeout=30
        )


def test_browser_sign_in_declined(mail_server) -> None:
    user = mail_server.new_user()
    with pytest.raises(flows.SignInError) as declined:
        flows.browser_sign_in(
            endpoints(mail_server), browser(mail_server, user, approve=False), timeout=30
        )
    assert declined.value.code == "access_denied"


def test_refresh_renews_and_a_revoked_sign_in_must_be_repeated(mail_server) -> None:
    user = mail_server.new_user()
    ep = endpoints(mail_server)
    first = flows.browser_sign_in(ep, browser(mail_server, user), timeout=30)
    mail_server.store.tokens.expire_access_tokens(user.login)
    renewed = flows.refresh(ep, first)
    assert renewed.access_token != first.access_token
    _imap_login(mail_server, user, renewed.access_token.reveal())
    mail_server.store.tokens.revoke_login(user.login)
    with pytest.raises(flows.SignInError) as revoked:
        flows.refresh(ep, renewed)
    assert revoked.value.code == "invalid_grant"


def test_only_verified_https_reaches_an_authorization_server(mail_server, test_ca) -> None:
    ep = endpoints(mail_server)
    with pytest.raises(errors.SecurityFailure):
        flows.start_device(
            endpoints(
                mail_server,
                device_authorization_endpoint=ep.device_authorization_endpoint.replace(
                    "https:", "http:"
                ),
            )
        )
    with pytest.raises(errors.SecurityFailure):
        flows.start_device(endpoints(mail_server, ca_file=None))  # the test CA is not trusted
