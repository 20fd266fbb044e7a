"""OAuth tests: endpoints of the bundled authorization server, and a stand-in for the person
at the browser (it signs in through the server's own pages, as a browser would post them)."""

from __future__ import annotations

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
