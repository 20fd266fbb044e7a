"""The SASL messages that carry a bearer token: OAUTHBEARER (RFC 7628) and XOAUTH2, and the
server's error challenge read back (base64 JSON: status, scope).

Invariant: the bytes built here contain the token; they are sent and never logged or kept.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

MECHANISMS = ("OAUTHBEARER", "XOAUTH2")  # preference order


def initial_response(mechanism: str, user: str, token: str, host: str = "", port: int = 0) -> bytes:
    if mechanism == "OAUTHBEARER":
        user_part = user.replace("=", "=3D").replace(",", "=2C")
        gs2 = f"n,a={user_part}," if user else "n,,"  # no user: no authzid at all
        fields = f"\x01host={host}\x01port={port}" if host else ""
        return f"{gs2}{fields}\x01auth=Bearer {token}\x01\x01".encode()
    if mechanism == "XOAUTH2":
        return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
    raise ValueError(f"not an OAuth mechanism: {mechanism}")


def after_error_challenge(mechanism: str) -> bytes:
    """What the client answers to the error challenge (the server then fails the exchange)."""
    return b"\x01" if mechanism == "OAUTHBEARER" else b""


@dataclass(frozen=True)
class Challenge:
    status: str = ""
    scope: str = ""
    configuration: str = ""


def read_challenge(data: bytes | str) -> Challenge:
    """The server's error challenge (already base64-decoded, or the base64 text)."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        decoded = base64.b64decode(raw, validate=True)
        raw = decoded or raw
    except ValueError:
        pass
    try:
        body = json.loads(raw[:4096])
    except ValueError:
        return Challenge()
    if not isinstance(body, dict):
        return Challenge()
    return Challenge(
        str(body.get("status", ""))[:100],
        str(body.get("scope", ""))[:300],
        str(body.get("openid-configuration", ""))[:300],
    )


def pick(offered: set[str] | list[str]) -> str | None:
    """The mechanism to use of those the server offers (upper case names)."""
    names = {m.upper() for m in offered}
    return next((m for m in MECHANISMS if m in names), None)
