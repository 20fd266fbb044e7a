"""An OAuth 2.0 authorization server for the bundled mail system, on HTTPS from the test CA.

Grants: the device authorization grant (RFC 8628) and the authorization code grant with PKCE
(RFC 7636, S256 only) for loopback redirect URIs (RFC 8252), refresh tokens (rotated), token
revocation (RFC 7009), introspection (RFC 7662) and server metadata (RFC 8414). The tokens it
issues are accepted by the bundled IMAP, POP3 and SMTP servers (OAUTHBEARER and XOAUTH2).

A person approves in a browser; a test does what the browser would:

    oauth.approve_device(user_code, login, password)            # or POST /device
    location = oauth.authorize(query, login, password)            # or POST /authorize

Clients: CLIENT_ID is a public client (no secret); CONFIDENTIAL_ID needs CONFIDENTIAL_SECRET.
Every request is recorded in `requests` (method, path, form field names: never values).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from testserver.oauth_tokens import DEFAULT_SCOPE, TokenRegistry

CLIENT_ID = "tuimail-test-client"
CONFIDENTIAL_ID = "tuimail-test-confidential"
CONFIDENTIAL_SECRET = "test-client-secret"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
MAX_BODY = 65536


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    expires: float
    interval: int
    login: str | None = None  # set once approved
    denied: bool = False
    last_poll: float = 0.0
    redeemed: bool = False


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    login: str
    expires: float
    used: bool = False


class OAuthError(Exception):
    def __init__(self, error: str, description: str = "", status: int = 400) -> None:
        super().__init__(error)
        self.error, self.description, self.status = error, description, status


def _loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuthServer:
    def __init__(
        self,
        context: ssl.SSLContext,
        authenticate,  # (login, password) -> login | None
        tokens: TokenRegistry,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        device_interval: int = 1,
        device_ttl: float = 600.0,
    ) -> None:
        self.context = context
        self.authenticate = authenticate
        self.tokens = tokens
        self.host = host
        self.device_interval = device_interval
        self.device_ttl = device_ttl
        self.clients = {CLIENT_ID: None, CONFIDENTIAL_ID: CONFIDENTIAL_SECRET}
        self.requests: list[tuple[str, str, tuple[str, ...]]] = []
        self._devices: dict[str, DeviceCode] = {}
        self._codes: dict[str, AuthCode] = {}
        self._lock = threading.Lock()
        self._httpd = _Server((host, port), _Handler, self)
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> OAuthServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            args=(0.02,),  # shutdown() waits up to one poll interval (default 0.5 s)
            name="testserver-oauth",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(5)

    @property
    def issuer(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    def metadata(self) -> dict:
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "device_authorization_endpoint": f"{base}/device_authorization",
            "revocation_endpoint": f"{base}/revoke",
            "introspection_endpoint": f"{base}/introspect",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": [DEFAULT_SCOPE],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
        }

    # -- what a person does in the browser (tests call these) ---------------------------

    def approve_device(self, user_code: str, login: str, password: str, approve: bool = True):
        who = self.authenticate(login, password)
        if who is None:
            raise OAuthError("access_denied", "wrong login or password", 401)
        with self._lock:
            device = next(
                (d for d in self._devices.values() if d.user_code == user_code.upper()), None
            )
            if device is None or device.expires <= time.time():
                raise OAuthError("invalid_request", "unknown or expired code")
            if approve:
                device.login = who
            else:
                device.denied = True

    def authorize(self, query: dict[str, str], login: str, password: str, approve=True) -> str:
        """The redirect (Location) a browser gets after the person signs in (or says no)."""
        redirect = query.get("redirect_uri", "")
        if query.get("client_id") not in self.clients or not _loopback(redirect):
            raise OAuthError("invalid_request", "unknown client or non-loopback redirect_uri")
        state = query.get("state")
        extra = {"state": state} if state is not None else {}
        if not approve:
            return f"{redirect}?{urlencode({'error': 'access_denied', **extra})}"
        if query.get("response_type") != "code":
            return f"{redirect}?{urlencode({'error': 'unsupported_response_type', **extra})}"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return f"{redirect}?{urlencode({'error': 'invalid_request', **extra})}"
        who = self.authenticate(login, password)
        if who is None:
            raise OAuthError("access_denied", "wrong login or password", 401)
        code = AuthCode(
            secrets.token_urlsafe(24),
            query["client_id"],
            redirect,
            query["code_challenge"],
            query.get("scope") or DEFAULT_SCOPE,
            who,
            time.time() + 120,
        )
        with self._lock:
            self._codes[code.code] = code
        return f"{redirect}?{urlencode({'code': code.code, **extra})}"

    # -- endpoints ----------------------------------------------------------------------

    def _client(self, form: dict[str, str], basic: tuple[str, str] | None) -> str:
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret"))
        if client_id not in self.clients:
            raise OAuthError("invalid_client", "unknown client", 401)
        wanted = self.clients[client_id]
        if wanted is not None and secret != wanted:
            raise OAuthError("invalid_client", "client authentication failed", 401)
        return client_id

    def device_authorization(self, form, basic) -> dict:
        client_id = self._client(form, basic)
        letters = "BCDFGHJKLMNPQRSTVWXZ"
        user_code = "".join(secrets.choice(letters) for _ in range(8))
        user_code = f"{user_code[:4]}-{user_code[4:]}"
        device = DeviceCode(
            secrets.token_urlsafe(32),
            user_code,
            client_id,
            form.get("scope") or DEFAULT_SCOPE,
            time.time() + self.device_ttl,
            self.device_interval,
        )
        with self._lock:
            self._devices[device.device_code] = device
        return {
            "device_code": device.device_code,
            "user_code": user_code,
            "verification_uri": f"{self.issuer}/device",
            "verification_uri_complete": f"{self.issuer}/device?user_code={user_code}",
            "expires_in": int(self.device_ttl),
            "interval": device.interval,
        }

    def token(self, form, basic) -> dict:
        client_id = self._client(form, basic)
        grant_type = form.get("grant_type")
        if grant_type == DEVICE_GRANT:
            return self._device_token(form.get("device_code", ""), client_id)
        if grant_type == "authorization_code":
            return self._code_token(form, client_id)
        if grant_type == "refresh_token":
            answer = self.tokens.refresh(form.get("refresh_token", ""), client_id)
            if answer is None:
                raise OAuthError("invalid_grant", "the refresh token is not valid")
            return answer
        raise OAuthError("unsupported_grant_type")

    def _device_token(self, device_code: str, client_id: str) -> dict:
        with self._lock:
            device = self._devices.get(device_code)
            if device is None or device.client_id != client_id or device.redeemed:
                raise OAuthError("invalid_grant")
            now = time.time()
            if device.expires <= now:
                raise OAuthError("expired_token")
            if device.denied:
                raise OAuthError("access_denied")
            too_soon = now - device.last_poll < device.interval * 0.8
            device.last_poll = now
            if device.login is None:
                if too_soon:
                    device.interval += 5
                    raise OAuthError("slow_down")
                raise OAuthError("authorization_pending")
            device.redeemed = True
        return self.tokens.issue(device.login, client_id, device.scope)

    def _code_token(self, form: dict[str, str], client_id: str) -> dict:
        with self._lock:
            code = self._codes.get(form.get("code", ""))
            if code is None or code.used or code.expires <= time.time():
                raise OAuthError("invalid_grant", "unknown, used or expired code")
            code.used = True
        if code.client_id != client_id or code.redirect_uri != form.get("redirect_uri"):
            raise OAuthError("invalid_grant", "client or redirect_uri does not match")
        if s256(form.get("code_verifier", "")) != code.challenge:
            raise OAuthError("invalid_grant", "PKCE verification failed")
        return self.tokens.issue(code.login, client_id, code.scope)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, oauth: OAuthServer) -> None:
        self.oauth = oauth
        super().__init__(address, handler)
        self.socket = oauth.context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 10
    # The headers and the body are two writes: without TCP_NODELAY the body waited for
    # the client's delayed ACK of the headers (~40 ms an answer).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _error(self, exc: OAuthError) -> None:
        body = {"error": exc.error}
        if exc.description:
            body["error_description"] = exc.description
        self._json(exc.status, body)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise OAuthError("invalid_request", "body too large", 413)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def _basic(self) -> tuple[str, str] | None:
        value = self.headers.get("Authorization", "")
        if not value.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:]).decode().partition(":")
        except ValueError:
            return None
        return user, password

    def _record(self, form: dict[str, str]) -> None:
        path = urlsplit(self.path).path
        self.server.oauth.requests.append((self.command, path, tuple(sorted(form))))

    def do_GET(self) -> None:
        oauth = self.server.oauth
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self._record(query)
        if parts.path == "/.well-known/oauth-authorization-server":
            self._json(200, oauth.metadata())
        elif parts.path == "/device":
            code = html.escape(query.get("user_code", ""))
            page = (
                "<html><body><form method=post action=/device>"
                f"<input name=user_code value='{code}'><input name=login>"
                "<input name=password type=password>"
                "<button name=action value=approve>Allow</button>"
                "<button name=action value=deny>Deny</button></form></body></html>"
            )
            self._send(200, page.encode(), "text/html; charset=utf-8")
        elif parts.path == "/authorize":
            hidden = "".join(
                f"<input type=hidden name='{html.escape(k)}' value='{html.escape(v)}'>"
                for k, v in query.items()
            )
            page = (
                f"<html><body><form method=post action=/authorize>{hidden}"
                "<input name=login><input name=password type=password>"
                "<button name=action value=approve>Allow</button>"
                "<button name=action value=deny>Deny</button></form></body></html>"
            )
            self._send(200, page.encode(), "text/html; charset=utf-8")
        elif parts.path == "/introspect":
            token = query.get("token") or self._bearer()
            self._json(200, oauth.tokens.introspect(token or ""))
        else:
            self._json(404, {"error": "not_found"})

    def _bearer(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value[7:].strip() if value.lower().startswith("bearer ") else None

    def do_POST(self) -> None:
        oauth = self.server.oauth
        path = urlsplit(self.path).path
        try:
            form = self._form()
            self._record(form)
            if path == "/device_authorization":
                self._json(200, oauth.device_authorization(form, self._basic()))
            elif path == "/token":
                self._json(200, oauth.token(form, self._basic()))
            elif path == "/revoke":
                oauth.tokens.revoke(form.get("token", ""))
                self._send(200, b"", "text/plain")
            elif path == "/introspect":
                token = form.get("token") or self._bearer() or ""
                self._json(200, oauth.tokens.introspect(token))
            elif path == "/device":
                approve = form.get("action", "approve") == "approve"
                oauth.approve_device(
                    form.get("user_code", ""), form.get("login", ""), form.get("password", ""),
                    approve,
                )  # fmt: skip
                self._send(200, b"Done. You can close this window.", "text/plain")
            elif path == "/authorize":
                approve = form.pop("action", "approve") == "approve"
                login, password = form.pop("login", ""), form.pop("password", "")
                location = oauth.authorize(form, login, password, approve)
                self._send(302, b"", "text/plain", {"Location": location})
            else:
                self._json(404, {"error": "not_found"})
        except OAuthError as exc:
            self._error(exc)
