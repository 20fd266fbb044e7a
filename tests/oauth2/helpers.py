"""OAuth tests: endpoints of the bundled authorization server, and a stand-in for the person
at the browser (it signs in through the server's own pages, as a browser would post them)."""

from __future__ import annotations

import time
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

from testserver.oauth import CLIENT_ID
from tuimail.core.oauth2.flows import Endpoints
from tuimail.core.tls import client_context


def endpoints(server, **overrides) -> Endpoints:
    meta = server.oauth.metadata()
    values = dict(
        token_endpoint=meta["token_endpoint"],
        client_id=CLIENT_ID,
        scopes=("mail",),
        authorization_endpoint=meta["authorization_endpoint"],
        device_authorization_endpoint=meta["device_authorization_endpoint"],
        introspection_endpoint=meta["introspection_endpoint"],
        ca_file=server.ca_file,
        timeout=10,
    )
    return Endpoints(**(values | overrides))


class _Keep(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browser(server, user, *, approve: bool = True, forge_state: bool = False):
    """open_browser for browser_sign_in: signs in as `user` and follows the redirect back to
    the loopback listener."""

    def open_url(url: str) -> bool:
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        form = query | {"login": user.login, "password": user.password,
                        "action": "approve" if approve else "deny"}  # fmt: skip
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=client_context(server.ca_file)), _Keep
        )
        request = urllib.request.Request(
            server.oauth.issuer + "/authorize", data=urlencode(form).encode(), method="POST"
        )
        try:
            opener.open(request, timeout=10)
            raise AssertionError("the authorization server did not redirect")
        except urllib.error.HTTPError as exc:
            location = exc.headers["Location"]
        if forge_state:
            location = location.replace(f"state={query['state']}", "state=forged")
        with urllib.request.urlopen(location, timeout=10) as answer:  # the loopback listener
            assert answer.status == 200
        return True

    return open_url


def oauth_account(server, user, name: str = "w", protocol: str = "imap", **overrides):
    """An `auth = "oauth2"` account for `user` on the bundled server, with its authorization
    server's endpoints written out explicitly (as a user of a custom server would)."""
    from tuimail.core.account import Account, ServerSettings

    meta = server.oauth.metadata()
    incoming_port = server.ports.imap_tls if protocol == "imap" else server.ports.pop3_tls
    values = dict(
        name=name,
        email=user.email,
        username=user.login,
        incoming=ServerSettings(server.host, incoming_port, "tls"),
        outgoing=ServerSettings(server.host, server.ports.smtp_tls, "tls"),
        protocol=protocol,
        ca_file=str(server.ca_file),
        auth="oauth2",
        oauth2={
            "client_id": CLIENT_ID,
            "token_endpoint": meta["token_endpoint"],
            "authorization_endpoint": meta["authorization_endpoint"],
            "device_authorization_endpoint": meta["device_authorization_endpoint"],
            "introspection_endpoint": meta["introspection_endpoint"],
            "issuer": server.oauth.issuer,
            "scopes": ["mail"],
        },
    )
    return Account(**(values | overrides))


def device_sign_in(server, user, account):
    """The device flow for `account`, approved at once by `user`; the sign-in is kept."""
    from tuimail.core.oauth2 import flows, tokens

    ep = tokens.endpoints(account)
    device = flows.start_device(ep)
    server.oauth.approve_device(device.user_code, user.login, user.password)
    # Approved already: the first poll gets the tokens at once (the wait between polls
    # is tested in test_flows.py); any later poll waits as a client must.
    polls = iter(range(1_000_000))
    token_set = flows.poll_device(
        ep, device, sleep=lambda s: next(polls) and time.sleep(min(s, 1.1))
    )
    return tokens.signed_in(account, token_set)


BROWSER_SCRIPT = '''#!{python}
"""Plays the person at the browser: signs in on the authorization server's page and
follows its redirect to tuimail's loopback listener."""
import ssl, sys, urllib.error, urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

url = sys.argv[1]
query = {{k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}}
form = query | {{"login": {login!r}, "password": {password!r}, "action": {action!r}}}
context = ssl.create_default_context(cafile={ca!r})


class Keep(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), Keep)
request = urllib.request.Request({issuer!r} + "/authorize", data=urlencode(form).encode())
try:
    opener.open(request, timeout=30)
    sys.exit("no redirect")
except urllib.error.HTTPError as exc:
    location = exc.headers["Location"]
with urllib.request.urlopen(location, timeout=30) as answer:
    sys.exit(0 if answer.status == 200 else 1)
'''


def browser_script(tmp_path, server, user, *, approve: bool = True):
    """An executable for BROWSER= that plays the browser (see BROWSER_SCRIPT)."""
    import sys

    path = tmp_path / "fake-browser"
    path.write_text(
        BROWSER_SCRIPT.format(
            python=sys.executable,
            login=user.login,
            password=user.password,
            action="approve" if approve else "deny",
            ca=str(server.ca_file),
            issuer=server.oauth.issuer,
        )
    )
    path.chmod(0o700)
    return path
