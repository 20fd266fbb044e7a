"""The bundled mail system's OAuth 2.0 tokens: issued by testserver.oauth (the authorization
server), checked by its IMAP, POP3 and SMTP (SASL OAUTHBEARER / XOAUTH2) and by the
introspection endpoint (RFC 7662) that a real Dovecot can be pointed at.

Invariants: a token is an opaque random string; an access token is valid until it expires or
its grant is revoked; refreshing issues a new access token (and rotates the refresh token) and
never revives a revoked grant. Thread-safe: the HTTPS server and the mail servers share it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_SCOPE = "mail"


@dataclass
class Grant:
    """One sign-in: a user allowed a client; refresh tokens and access tokens hang off it."""

    login: str
    client_id: str
    scope: str
    refresh_token: str
    revoked: bool = False
    access_tokens: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class AccessToken:
    token: str
    grant: Grant
    expires: float


class TokenRegistry:
    def __init__(self, *, access_ttl: float = 3600.0, clock: Callable[[], float] = time.time):
        self.access_ttl = access_ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, Grant] = {}
        self.used: list[tuple[str, str]] = []  # (login or "", outcome) of every token checked

    # -- issuing -----------------------------------------------------------------------

    def issue(self, login: str, client_id: str, scope: str = DEFAULT_SCOPE) -> dict:
        """A new grant; the token response body (RFC 6749 5.1)."""
        grant = Grant(login, client_id, scope or DEFAULT_SCOPE, secrets.token_urlsafe(32))
        with self._lock:
            self._refresh[grant.refresh_token] = grant
            return self._access_response(grant)

    def refresh(self, refresh_token: str, client_id: str) -> dict | None:
        """A new access token (and a rotated refresh token) for a live grant, else None."""
        with self._lock:
            grant = self._refresh.get(refresh_token)
            if grant is None or grant.revoked or grant.client_id != client_id:
                return None
            del self._refresh[refresh_token]
            grant.refresh_token = secrets.token_urlsafe(32)
            self._refresh[grant.refresh_token] = grant
            return self._access_response(grant)

    def _access_response(self, grant: Grant) -> dict:
        token = AccessToken(secrets.token_urlsafe(32), grant, self.clock() + self.access_ttl)
        self._access[token.token] = token
        grant.access_tokens.add(token.token)
        return {
            "access_token": token.token,
            "token_type": "Bearer",
            "expires_in": int(self.access_ttl),
            "refresh_token": grant.refresh_token,
            "scope": grant.scope,
        }

    # -- checking ----------------------------------------------------------------------

    def check(self, token: str) -> tuple[str | None, str]:
        """(login, "ok") for a valid access token, else (None, why): "invalid", "expired"
        or "revoked"."""
        with self._lock:
            found = self._access.get(token)
            if found is None:
                outcome: tuple[str | None, str] = (None, "invalid")
            elif found.grant.revoked:
                outcome = (None, "revoked")
            elif found.expires <= self.clock():
                outcome = (None, "expired")
            else:
                outcome = (found.grant.login, "ok")
            self.used.append((found.grant.login if found else "", outcome[1]))
            return outcome

    def introspect(self, token: str) -> dict:
        """RFC 7662 answer for an access or refresh token."""
        with self._lock:
            found = self._access.get(token)
            if found and not found.grant.revoked and found.expires > self.clock():
                return {
                    "active": True,
                    "scope": found.grant.scope,
                    "client_id": found.grant.client_id,
                    "username": found.grant.login,
                    "token_type": "Bearer",
                    "exp": int(found.expires),
                }
            grant = self._refresh.get(token)
            if grant and not grant.revoked:
                return {
                    "active": True,
                    "scope": grant.scope,
                    "client_id": grant.client_id,
                    "username": grant.login,
                    "token_type": "refresh_token",
                }
        return {"active": False}

    # -- test controls -----------------------------------------------------------------

    def revoke(self, token: str) -> None:
        """RFC 7009: revoking either token of a grant ends the whole grant."""
        with self._lock:
            grant = self._refresh.get(token)
            if grant is None and token in self._access:
                grant = self._access[token].grant
            if grant is not None:
                grant.revoked = True

    def revoke_login(self, login: str) -> int:
        """The user revoked every sign-in (as in a provider's security page)."""
        with self._lock:
            grants = [g for g in self._refresh.values() if g.login == login and not g.revoked]
            for grant in grants:
                grant.revoked = True
            return len(grants)

    def expire_access_tokens(self, login: str | None = None) -> int:
        """Every access token (of `login`) expires now; refresh tokens stay valid."""
        with self._lock:
            hit = [t for t in self._access.values() if login is None or t.grant.login == login]
            for t in hit:
                self._access[t.token] = AccessToken(t.token, t.grant, 0.0)
            return len(hit)
