"""SASL OAUTHBEARER (RFC 7628) and XOAUTH2 (Google's) as the bundled servers check them.

    user, token = parse_initial_response("OAUTHBEARER", decoded_bytes)   # ValueError if bad
    challenge = error_challenge("OAUTHBEARER", issuer)                     # bytes, to base64

Invariant: a token is accepted only if the registry knows it as live and, when the client
named a user, that user is the token's owner.
"""

from __future__ import annotations

import json

MECHANISMS = ("OAUTHBEARER", "XOAUTH2")


def parse_initial_response(mechanism: str, data: bytes) -> tuple[str | None, str]:
    """(claimed user or None, bearer token) from the client's first response."""
    text = data.decode("utf-8")
    if mechanism == "OAUTHBEARER":
        gs2, sep, rest = text.partition("\x01")
        if not sep or not gs2.startswith(("n,", "y,")):
            raise ValueError("bad gs2 header")
        user = None
        for part in gs2.split(",")[1:]:
            if part.startswith("a="):
                user = part[2:].replace("=2C", ",").replace("=3D", "=")
        pairs = rest.split("\x01")
    elif mechanism == "XOAUTH2":
        pairs = text.split("\x01")
        user = next((p[5:] for p in pairs if p.startswith("user=")), None)
    else:
        raise ValueError("unknown mechanism")
    auth = next((p[5:] for p in pairs if p.startswith("auth=")), None)
    if auth is None or not auth.lower().startswith("bearer "):
        raise ValueError("no bearer token")
    return user, auth[7:].strip()


def error_challenge(mechanism: str, issuer: str | None, scope: str = "mail") -> bytes:
    """The JSON a server sends (base64) before failing the exchange."""
    if mechanism == "OAUTHBEARER":
        body = {"status": "invalid_token", "scope": scope}
        if issuer:
            body["openid-configuration"] = f"{issuer}/.well-known/oauth-authorization-server"
    else:
        body = {"status": "401", "schemes": "bearer", "scope": scope}
    return json.dumps(body).encode()


def check(tokens, mechanism: str, data: bytes) -> tuple[str | None, str | None]:
    """(login, None) when the token is good, else (None, why)."""
    try:
        user, token = parse_initial_response(mechanism, data)
    except ValueError:
        return None, "malformed"
    login, outcome = tokens.check(token)
    if login is None:
        return None, outcome
    if user is not None and user.lower() != login.lower():
        return None, "wrong-user"
    return login, None
