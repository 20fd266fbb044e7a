"""Asking a mail server where to sign in (RFC 7628 3.2.2): an empty OAUTHBEARER attempt,
the error challenge's openid-configuration, the discovery document over verified HTTPS."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from testserver.server import MailServer
from tuimail.core.account import ServerSettings
from tuimail.core.errors import SecurityFailure
from tuimail.core.oauth2.sasl import initial_response
from tuimail.core.oauth2.server_discovery import (
    discover_from_imap,
    discover_from_pop3,
    from_document,
    issuer_of,
)


@pytest.fixture
def mail_server(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        yield server


def test_the_imap_challenge_names_the_bundled_authorization_server(mail_server) -> None:
    settings = ServerSettings(mail_server.host, mail_server.ports.imap_tls, "tls")
    found = discover_from_imap(settings, ca_file=str(mail_server.ca_file), timeout=10)
    meta = mail_server.oauth.metadata()
    assert found is not None and found.issuer == mail_server.oauth.issuer
    assert found.token_endpoint == meta["token_endpoint"]
    assert found.device_authorization_endpoint == meta["device_authorization_endpoint"]
    assert found.scopes == ("mail",)
    attempts = mail_server.protocol_server("imap").auth_log
    assert [(a.login, a.success) for a in attempts] == [("", False)]  # no user, no token


def test_the_pop3_challenge_names_it_too(mail_server) -> None:
    mail_server.faults.add(protocol="pop3", kind="oauth_only")
    settings = ServerSettings(mail_server.host, mail_server.ports.pop3_tls, "tls")
    found = discover_from_pop3(settings, ca_file=str(mail_server.ca_file), timeout=10)
    assert found is not None and found.issuer == mail_server.oauth.issuer
    assert found.token_endpoint == mail_server.oauth.metadata()["token_endpoint"]
    attempts = mail_server.protocol_server("pop3").auth_log
    assert [(a.login, a.success) for a in attempts] == [("", False)]


def test_an_unverified_server_is_not_asked(mail_server) -> None:
    settings = ServerSettings(mail_server.host, mail_server.ports.imap_tls, "tls")
    with pytest.raises(SecurityFailure):
        discover_from_imap(settings, ca_file=None, timeout=10)  # the test CA is not trusted
    assert mail_server.protocol_server("imap").auth_log == []


def test_a_server_without_oauth_names_nothing(test_ca) -> None:
    with MailServer(ca=test_ca, protocols=("imap",)) as server:
        settings = ServerSettings(server.host, server.ports.imap_tls, "tls")
        assert discover_from_imap(settings, ca_file=str(server.ca_file), timeout=10) is None


def test_an_rfc8414_document_is_accepted_and_a_non_discovery_address_is_not(mail_server) -> None:
    url = mail_server.oauth.issuer + "/.well-known/oauth-authorization-server"
    ca = str(mail_server.ca_file)
    assert from_document(url, ["mail"], ca_file=ca, timeout=10).scopes == ("mail",)
    # the token endpoint is no discovery address: it is not even fetched
    assert from_document(mail_server.oauth.issuer + "/token", [], ca_file=ca) is None


@pytest.mark.parametrize(
    "url, issuer",
    [
        ("https://id.test/.well-known/openid-configuration", "https://id.test"),
        ("https://id.test/t1/.well-known/openid-configuration", "https://id.test/t1"),
        ("https://id.test/.well-known/oauth-authorization-server/t1", "https://id.test/t1"),
        ("https://id.test:8443/.well-known/oauth-authorization-server", "https://id.test:8443"),
        ("http://id.test/.well-known/openid-configuration", None),
        ("https://id.test/metadata.json", None),
    ],
)
def test_the_issuer_of_a_discovery_address(url: str, issuer: str | None) -> None:
    assert issuer_of(url) == issuer


def test_the_empty_attempt_carries_no_user() -> None:
    assert initial_response("OAUTHBEARER", "", "") == b"n,,\x01auth=Bearer \x01\x01"


@given(st.text(max_size=300))
def test_any_address_a_server_names_gives_an_https_issuer_or_none(url: str) -> None:
    issuer = issuer_of(url)
    assert issuer is None or issuer.startswith("https://")
    prefixed = issuer_of("https://" + url)
    assert prefixed is None or prefixed.startswith("https://")
