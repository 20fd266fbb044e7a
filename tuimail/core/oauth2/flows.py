"""Sign-in flows and refresh, built on oauthlib (request bodies, PKCE, token answers).

- Device authorization grant (RFC 8628), the default: works over SSH with no browser here.
  `start_device()` returns the code to show; `poll_device()` waits with the server's interval,
  slowing down when told, until the user approves, denies or the code expires.
- Authorization code with PKCE S256 (RFC 7636) on a loopback redirect (RFC 8252):
  `browser_sign_in()` listens on 127.0.0.1 (an ephemeral port), opens the URL, checks `state`.
- `refresh()`: a new access token from the refresh token.

Invariants: every token is a Secret (repr ***); no secret is put in an exception's text;
failures are tuimail.core.errors types (a denial or a dead refresh token is
AuthenticationFailed, a server fault is transient or a protocol violation).
"""

from __future__ import annotations

import http.server
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from oauthlib.oauth2 import DeviceClient, WebApplicationClient

from tuimail.core import errors
from tuimail.core.oauth2.http import post_form
from tuimail.core.secrets import Secret

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass(frozen=True)
class Endpoints:
    """Where and as whom to sign in (from a provider entry or the account's oauth2 table)."""

    token_endpoint: str
    client_id: str
    scopes: tuple[str, ...] = ()
    authorization_endpoint: str | None = None
    device_authorization_endpoint: str | None = None
    introspection_endpoint: str | None = None
    client_secret: Secret | None = None
    ca_file: str | None = None
    timeout: float = 20.0
    issuer: str | None = None

    def secret_form(self) -> dict[str, str]:
        return {"client_secret": self.client_secret.reveal()} if self.client_secret else {}


@dataclass
class TokenSet:
    access_token: Secret
    refresh_token: Secret | None
    expires_at: float  # time.time() seconds; 0 = unknown (treated as short-lived)
    scope: str = ""
    token_type: str = "Bearer"

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return self.expires_at <= now + seconds


@dataclass
class DeviceAuthorization:
    verification_uri: str
    user_code: str
    device_code: Secret = field(repr=False)
    interval: float
    expires_at: float  # time.monotonic()
    verification_uri_complete: str | None = None


class SignInError(errors.AuthenticationFailed):
    """The sign-in did not happen: denied, expired or refused by the authorization server."""


def _oauth_error(status: int, data: dict, step: str) -> errors.MailError:
    """The authorization server's refusal of `step` (errors.OAUTH_STEPS), typed by its
    HTTP status and OAuth error code; its error_description as its words."""
    code = str(data.get("error", f"HTTP {status}"))
    words = str(data.get("error_description", ""))[:300] or None
    kw = {"protocol": "http", "code": code, "server_text": words, "reason": "oauth"}
    if status >= 500 or code in ("temporarily_unavailable", "server_error"):
        return errors.ServerBusy(data={"step": step}, **kw)
    if code in ("invalid_client", "unauthorized_client"):
        return errors.Refused(data={"step": step}, **kw)
    return SignInError(data={"step": step}, **kw)


def _sign_in(code: str) -> SignInError:
    """The sign-in did not happen, for a reason its code says (tuimail.words words it)."""
    return SignInError(protocol="http", code=code, reason="sign-in")


def _token_set(data: dict, previous_refresh: Secret | None = None) -> TokenSet:
    access = data.get("access_token")
    if not isinstance(access, str) or not access:
        raise errors.ProtocolViolation(protocol="http", reason="no-access-token")
    refresh = data.get("refresh_token")
    expires_in = data.get("expires_in")
    try:
        expires_at = time.time() + max(0.0, min(float(expires_in), 10 * 365 * 86400))
    except (TypeError, ValueError):
        expires_at = time.time() + 300  # unknown: assume short-lived, refresh early
    return TokenSet(
        Secret(access),
        Secret(refresh) if isinstance(refresh, str) and refresh else previous_refresh,
        expires_at,
        str(data.get("scope", "")),
        str(data.get("token_type", "Bearer")),
    )


def _token_request(ep: Endpoints, body: str) -> tuple[int, dict]:
    form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    form.setdefault("client_id", ep.client_id)
    form |= ep.secret_form()
    return post_form(ep.token_endpoint, form, ca_file=ep.ca_file, timeout=ep.timeout)


# -- device authorization grant ---------------------------------------------------------


def start_device(ep: Endpoints) -> DeviceAuthorization:
    if not ep.device_authorization_endpoint:
        raise errors.Refused(protocol="http", reason="no-device-sign-in")
    form = {"client_id": ep.client_id, **ep.secret_form()}
    if ep.scopes:
        form["scope"] = " ".join(ep.scopes)
    status, data = post_form(
        ep.device_authorization_endpoint, form, ca_file=ep.ca_file, timeout=ep.timeout
    )
    if status != 200 or "error" in data:
        raise _oauth_error(status, data, "device-start")
    try:
        return DeviceAuthorization(
            verification_uri=str(data.get("verification_uri") or data["verification_url"]),
            user_code=str(data["user_code"]),
            device_code=Secret(str(data["device_code"])),
            interval=max(1.0, float(data.get("interval", 5))),
            expires_at=time.monotonic() + float(data.get("expires_in", 900)),
            verification_uri_complete=data.get("verification_uri_complete"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.ProtocolViolation(protocol="http", reason="incomplete-answer") from exc


def poll_device(
    ep: Endpoints,
    device: DeviceAuthorization,
    *,
    sleep: Callable[[float], None] = time.sleep,
    cancelled: Callable[[], bool] = lambda: False,
) -> TokenSet:
    """Poll until approved (RFC 8628 3.5): authorization_pending waits `interval`, slow_down
    adds 5 s; access_denied and expired_token end it."""
    client = DeviceClient(ep.client_id)
    interval = device.interval
    while True:
        if cancelled():
            raise _sign_in("cancelled")
        if time.monotonic() >= device.expires_at:
            raise _sign_in("expired_token")
        sleep(interval)
        body = client.prepare_request_body(device.device_code.reveal(), include_client_id=True)
        status, data = _token_request(ep, body)
        error = data.get("error")
        if status == 200 and not error:
            return _token_set(data)
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += 5
            continue
        if error == "access_denied":
            raise _sign_in(error)
        if error == "expired_token":
            raise _sign_in(error)
        raise _oauth_error(status, data, "sign-in")


# -- authorization code with PKCE on a loopback redirect -------------------------------


class _Catcher(http.server.BaseHTTPRequestHandler):
    server: _LoopbackServer

    def log_message(self, format: str, *args) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != self.server.callback_path:
            self.send_response(404)
            self.end_headers()
            return
        self.server.answer = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = b"Signed in to tuimail. You can close this window."
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.done.set()


class _LoopbackServer(http.server.HTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Catcher)
        self.callback_path = "/tuimail/" + secrets.token_urlsafe(8)
        self.answer: dict[str, str] | None = None
        self.done = threading.Event()


def browser_sign_in(
    ep: Endpoints,
    open_browser: Callable[[str], object],
    *,
    timeout: float = 300.0,
    cancelled: Callable[[], bool] = lambda: False,
) -> TokenSet:
    """Open the authorization URL; the browser comes back to http://127.0.0.1:PORT/...;
    the code is exchanged with the PKCE verifier. Only loopback is listened on."""
    if not ep.authorization_endpoint:
        raise errors.Refused(protocol="http", reason="no-browser-sign-in")
    client = WebApplicationClient(ep.client_id)
    verifier = client.create_code_verifier(64)
    challenge = client.create_code_challenge(verifier, "S256")
    state = secrets.token_urlsafe(24)
    server = _LoopbackServer()
    redirect = f"http://127.0.0.1:{server.server_address[1]}{server.callback_path}"
    url = client.prepare_request_uri(
        ep.authorization_endpoint,
        redirect_uri=redirect,
        scope=list(ep.scopes) or None,
        state=state,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    try:
        open_browser(url)
        deadline = time.monotonic() + timeout
        while not server.done.wait(0.2):
            if cancelled():
                raise _sign_in("cancelled")
            if time.monotonic() > deadline:
                raise _sign_in("timeout")
    finally:
        server.shutdown()
        server.server_close()
    answer = server.answer or {}
    if answer.get("state") != state:
        raise errors.SecurityFailure(protocol="http", reason="state-mismatch")
    if "error" in answer or "code" not in answer:
        code = answer.get("error", "no_code")
        raise _sign_in(str(code))
    body = client.prepare_request_body(
        code=answer["code"], redirect_uri=redirect, code_verifier=verifier
    )
    status, data = _token_request(ep, body)
    if status != 200 or "error" in data:
        raise _oauth_error(status, data, "exchange")
    return _token_set(data)


# -- server metadata ---------------------------------------------------------------------


def discover(issuer: str, *, ca_file: str | None = None, timeout: float = 20.0) -> dict:
    """The authorization server's metadata (RFC 8414: {issuer}/.well-known/
    oauth-authorization-server); {} when the issuer is not an https URL or publishes none.
    Only endpoints on https are kept."""
    from tuimail.core.oauth2.http import get_json

    if not issuer.startswith("https://"):
        return {}
    url = issuer.rstrip("/") + "/.well-known/oauth-authorization-server"
    try:
        status, data = get_json(url, ca_file=ca_file, timeout=timeout)
    except errors.ProtocolViolation:
        return {}
    if status != 200:
        return {}
    return {
        k: v
        for k, v in data.items()
        if k.endswith("_endpoint") and isinstance(v, str) and v.startswith("https://")
    }


# -- refresh ----------------------------------------------------------------------------


def refresh(ep: Endpoints, tokens: TokenSet) -> TokenSet:
    """A new access token; a refused refresh token (revoked, expired) is SignInError."""
    if tokens.refresh_token is None:
        raise _sign_in("no_refresh_token")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token.reveal(),
        "client_id": ep.client_id,
        **ep.secret_form(),
    }
    status, data = post_form(ep.token_endpoint, form, ca_file=ep.ca_file, timeout=ep.timeout)
    if status != 200 or "error" in data:
        raise _oauth_error(status, data, "renew")
    return _token_set(data, previous_refresh=tokens.refresh_token)
