"""The bundled OAuth 2.0 authorization server and the mail servers' OAUTHBEARER/XOAUTH2:
device grant, authorization code with PKCE, refresh, revocation, introspection, and tokens
accepted (or refused with the RFC 7628 error challenge) by IMAP, POP3 and SMTP over TLS."""

from __future__ import annotations

import base64
import json
import poplib
import smtplib
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from testserver.oauth import CLIENT_ID, CONFIDENTIAL_ID, CONFIDENTIAL_SECRET, s256
from testserver.server import MailServer
from tuimail.core.tls import client_context


@pytest.fixture
def mail_server(test_ca):
    with MailServer(ca=test_ca, oauth=True) as server:
        yield server


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post(server, path: str, form: dict, opener=None) -> tuple[int, dict | str, dict]:
    request = urllib.request.Request(
        server.oauth.issuer + path, data=urlencode(form).encode(), method="POST"
    )
    opener = opener or urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=client_context(server.ca_file)), _NoRedirect
    )
    try:
        with opener.open(request, timeout=10) as response:
            status, body, headers = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        status, body, headers = exc.code, exc.read(), dict(exc.headers)
    try:
        return status, json.loads(body), headers
    except ValueError:
        return status, body.decode(), headers


def device_token(server, user) -> dict:
    _s, device, _h = post(server, "/device_authorization", {"client_id": CLIENT_ID})
    post(server, "/device", {"user_code": device["user_code"], "login": user.login,
                             "password": user.password, "action": "approve"})  # fmt: skip
    status, token, _h = post(
        server,
        "/token",
        {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
         "device_code": device["device_code"], "client_id": CLIENT_ID},
    )  # fmt: skip
    assert status == 200, token
    return token


def test_metadata_names_every_endpoint(mail_server) -> None:
    request = urllib.request.Request(
        mail_server.oauth.issuer + "/.well-known/oauth-authorization-server"
    )
    with urllib.request.urlopen(
        request, context=client_context(mail_server.ca_file), timeout=10
    ) as response:
        meta = json.loads(response.read())
    assert meta["issuer"] == mail_server.oauth.issuer
    for key in ("token_endpoint", "device_authorization_endpoint", "introspection_endpoint"):
        assert meta[key].startswith(mail_server.oauth.issuer + "/")
    assert meta["code_challenge_methods_supported"] == ["S256"]


def test_device_grant_pending_slow_down_then_tokens(mail_server) -> None:
    user = mail_server.new_user()
    _s, device, _h = post(mail_server, "/device_authorization", {"client_id": CLIENT_ID})
    assert device["verification_uri"].endswith("/device") and device["interval"] >= 1
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": device["device_code"],
        "client_id": CLIENT_ID,
    }
    status, body, _h = post(mail_server, "/token", form)
    assert (status, body["error"]) == (400, "authorization_pending")
    status, body, _h = post(mail_server, "/token", form)  # at once: too fast
    assert (status, body["error"]) == (400, "slow_down")
    mail_server.oauth.approve_device(device["user_code"], user.login, user.password)
    status, token, _h = post(mail_server, "/token", form)
    assert status == 200 and token["token_type"] == "Bearer" and token["refresh_token"]
    status, body, _h = post(mail_server, "/token", form)  # a device code is redeemed once
    assert body["error"] == "invalid_grant"


def test_device_grant_denied(mail_server) -> None:
    user = mail_server.new_user()
    _s, device, _h = post(mail_server, "/device_authorization", {"client_id": CLIENT_ID})
    post(mail_server, "/device", {"user_code": device["user_code"], "login": user.login,
                                  "password": user.password, "action": "deny"})  # fmt: skip
    _s, body, _h = post(
        mail_server,
        "/token",
        {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
         "device_code": device["device_code"], "client_id": CLIENT_ID},
    )  # fmt: skip
    assert body["error"] == "access_denied"


def test_authorization_code_with_pkce_on_a_loopback_redirect(mail_server) -> None:
    user = mail_server.new_user()
    verifier = "v" * 64
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://127.0.0.1:54321/callback",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        "state": "xyz",
    }
    status, _b, headers = post(
        mail_server, "/authorize", query | {"login": user.login, "password": user.password}
    )
    assert status == 302
    location = urlsplit(headers["Location"])
    assert location.netloc == "127.0.0.1:54321"
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["state"] == "xyz"
    exchange = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": query["redirect_uri"],
        "client_id": CLIENT_ID,
    }
    _s, body, _h = post(mail_server, "/token", exchange | {"code_verifier": "w" * 64})
    assert body["error"] == "invalid_grant"  # wrong verifier (and the code is now spent)
    status, _b, headers = post(
        mail_server, "/authorize", query | {"login": user.login, "password": user.password}
    )
    code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
    status, token, _h = post(
        mail_server, "/token", exchange | {"code": code, "code_verifier": verifier}
    )
    assert status == 200 and token["access_token"]


def test_non_loopback_redirect_and_unknown_clients_are_refused(mail_server) -> None:
    user = mail_server.new_user()
    query = {"response_type": "code", "client_id": CLIENT_ID, "code_challenge": "x",
             "code_challenge_method": "S256", "redirect_uri": "https://evil.example/cb"}  # fmt: skip
    status, body, _h = post(mail_server, "/authorize", query | {"login": user.login,
                                                                "password": user.password})  # fmt: skip
    assert status == 400 and body["error"] == "invalid_request"
    status, body, _h = post(mail_server, "/device_authorization", {"client_id": "nobody"})
    assert status == 401 and body["error"] == "invalid_client"
    status, body, _h = post(mail_server, "/device_authorization", {"client_id": CONFIDENTIAL_ID})
    assert status == 401  # its secret is missing
    status, body, _h = post(mail_server, "/device_authorization",
                            {"client_id": CONFIDENTIAL_ID, "client_secret": CONFIDENTIAL_SECRET})  # fmt: skip
    assert status == 200


def test_refresh_rotates_and_revocation_ends_the_grant(mail_server) -> None:
    user = mail_server.new_user()
    token = device_token(mail_server, user)
    form = {"grant_type": "refresh_token", "client_id": CLIENT_ID}
    status, fresh, _h = post(
        mail_server, "/token", form | {"refresh_token": token["refresh_token"]}
    )
    assert status == 200 and fresh["refresh_token"] != token["refresh_token"]
    _s, body, _h = post(mail_server, "/token", form | {"refresh_token": token["refresh_token"]})
    assert body["error"] == "invalid_grant"  # the old refresh token was rotated away
    _s, info, _h = post(mail_server, "/introspect", {"token": fresh["access_token"]})
    assert info["active"] is True and info["username"] == user.login
    post(mail_server, "/revoke", {"token": fresh["refresh_token"]})
    _s, info, _h = post(mail_server, "/introspect", {"token": fresh["access_token"]})
    assert info == {"active": False}
    _s, body, _h = post(mail_server, "/token", form | {"refresh_token": fresh["refresh_token"]})
    assert body["error"] == "invalid_grant"


def _imap(server) -> IMAPClient:
    return IMAPClient(
        server.host, port=server.ports.imap_tls, ssl_context=client_context(server.ca_file),
        timeout=10,
    )  # fmt: skip


@pytest.mark.parametrize("mechanism", ["OAUTHBEARER", "XOAUTH2"])
def test_imap_accepts_a_live_token_and_refuses_an_expired_one(mail_server, mechanism) -> None:
    user = mail_server.new_user()
    token = device_token(mail_server, user)["access_token"]
    with _imap(mail_server) as client:
        caps = client.capabilities()
        assert b"AUTH=OAUTHBEARER" in caps and b"AUTH=XOAUTH2" in caps
        if mechanism == "OAUTHBEARER":
            client.oauthbearer_login(user.login, token)
        else:
            client.oauth2_login(user.login, token)
        assert client.select_folder("INBOX")
    mail_server.store.tokens.expire_access_tokens(user.login)
    with _imap(mail_server) as client, pytest.raises(LoginError, match="AUTHENTICATIONFAILED"):
        client.oauthbearer_login(user.login, token)
    with _imap(mail_server) as client, pytest.raises(LoginError):
        client.oauth2_login(
            "someone-else@example.test", device_token(mail_server, user)["access_token"]
        )


def test_error_challenge_is_the_rfc7628_json(mail_server) -> None:
    """A bad token: '+ base64(json)' first, the client's dummy answer, then NO."""
    import socket
    import ssl

    raw = socket.create_connection((mail_server.host, mail_server.ports.imap_tls), timeout=10)
    with client_context(mail_server.ca_file).wrap_socket(
        raw, server_hostname=mail_server.host
    ) as s:
        f = s.makefile("rwb")
        f.readline()
        ir = base64.b64encode(b"n,a=x@example.test,\x01auth=Bearer nope\x01\x01").decode()
        f.write(f"a AUTHENTICATE OAUTHBEARER {ir}\r\n".encode())
        f.flush()
        line = f.readline()
        assert line.startswith(b"+ ")
        challenge = json.loads(base64.b64decode(line[2:].strip()))
        assert challenge["status"] == "invalid_token"
        assert challenge["openid-configuration"].startswith(mail_server.oauth.issuer)
        f.write(b"AQ==\r\n")
        f.flush()
        assert f.readline().startswith(b"a NO [AUTHENTICATIONFAILED]")
        assert isinstance(s, ssl.SSLSocket)


@pytest.mark.parametrize("mechanism", ["OAUTHBEARER", "XOAUTH2"])
def test_pop3_auth_with_a_token(mail_server, mechanism) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, b"Subject: hi\r\n\r\nbody\r\n")
    token = device_token(mail_server, user)["access_token"]
    if mechanism == "OAUTHBEARER":
        ir = f"n,a={user.login},\x01auth=Bearer {token}\x01\x01"
    else:
        ir = f"user={user.login}\x01auth=Bearer {token}\x01\x01"
    client = poplib.POP3_SSL(mail_server.host, mail_server.ports.pop3_tls,
                             context=client_context(mail_server.ca_file), timeout=10)  # fmt: skip
    try:
        assert mechanism in client.capa()["SASL"]
        reply = client._shortcmd(f"AUTH {mechanism} {base64.b64encode(ir.encode()).decode()}")
        assert reply.startswith(b"+OK")
        assert client.stat()[0] == 1
    finally:
        client.quit()


@pytest.mark.parametrize("mechanism", ["OAUTHBEARER", "XOAUTH2"])
def test_smtp_submission_with_a_token(mail_server, mechanism) -> None:
    user, bob = mail_server.new_user(), mail_server.new_user()
    token = device_token(mail_server, user)["access_token"]
    if mechanism == "OAUTHBEARER":
        ir = f"n,a={user.login},\x01auth=Bearer {token}\x01\x01"
    else:
        ir = f"user={user.login}\x01auth=Bearer {token}\x01\x01"
    with smtplib.SMTP_SSL(mail_server.host, mail_server.ports.smtp_tls,
                          context=client_context(mail_server.ca_file), timeout=10) as smtp:  # fmt: skip
        smtp.ehlo()
        assert mechanism in smtp.esmtp_features["auth"]
        code, _msg = smtp.docmd("AUTH", f"{mechanism} {base64.b64encode(ir.encode()).decode()}")
        assert code == 235
        smtp.sendmail(user.email, [bob.email], b"Subject: via token\r\n\r\nhello\r\n")
    assert any(b"via token" in raw for raw in mail_server.messages(bob))
    mail_server.store.tokens.revoke_login(user.login)
    with smtplib.SMTP_SSL(mail_server.host, mail_server.ports.smtp_tls,
                          context=client_context(mail_server.ca_file), timeout=10) as smtp:  # fmt: skip
        smtp.ehlo()
        code, msg = smtp.docmd("AUTH", f"{mechanism} {base64.b64encode(ir.encode()).decode()}")
        assert code == 334 and json.loads(base64.b64decode(msg))["status"]
        code, _msg = smtp.docmd("" if mechanism == "XOAUTH2" else "AQ==")
        assert code == 535


def test_no_oauth_mechanisms_without_the_authorization_server(test_ca) -> None:
    with MailServer(ca=test_ca, protocols=("imap", "smtp")) as server:
        with _imap(server) as client:
            assert b"AUTH=OAUTHBEARER" not in client.capabilities()
        with smtplib.SMTP_SSL(server.host, server.ports.smtp_tls,
                              context=client_context(server.ca_file), timeout=10) as smtp:  # fmt: skip
            smtp.ehlo()
            assert "XOAUTH2" not in smtp.esmtp_features["auth"]


def test_tokens_expire_by_the_clock(mail_server) -> None:
    user = mail_server.new_user()
    token = device_token(mail_server, user)["access_token"]
    registry = mail_server.store.tokens
    assert registry.check(token) == (user.login, "ok")
    registry.clock = lambda: time.time() + 7200
    assert registry.check(token) == (None, "expired")
