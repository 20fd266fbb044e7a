"""Words for an OAuth account's sign-in: a missing or refused sign-in (NeedsSignIn),
what to run, and a server's OAuth error challenge (RFC 7628).
"""

from __future__ import annotations

import sys
from typing import Any

from tuimail.words.plain import plain, server_said

# The code of a "sign-in" error (the sign-in did not happen).
SIGN_IN_CODES = {
    "access_denied": "the sign-in was declined",
    "expired_token": "the code expired before it was approved",
    "cancelled": "the sign-in was cancelled",
    "timeout": "no answer came from the browser in time",
    "no_refresh_token": "there is no refresh token: sign in again",
}


def needs_sign_in(error: object) -> bool:
    """True for an OAuth account's missing or refused sign-in (NeedsSignIn), looked up
    only if loaded."""
    cls = getattr(sys.modules.get("tuimail.core.oauth2.tokens"), "NeedsSignIn", None)
    return cls is not None and isinstance(error, cls)


def sign_in_needed(error: Any) -> str:
    """What is wrong with a NeedsSignIn, from its code and account (never its message):
    not signed in on this computer, or the authorization server refused the sign-in
    (its code and words once). What to do is sign_in_advice's, said once by the caller."""
    name = plain(getattr(error, "account", "")) or "this account"
    code = error.code
    if code == "not_signed_in":
        if getattr(error, "browser", False):
            return f"{name} is not signed in, and its provider offers no sign-in in this app"
        return f"{name} is not signed in on this computer"
    said = server_said(error)
    said = f" ({said})" if said else ""
    if code == "access_denied":  # RFC 8628: the person at the browser said no
        return f"the sign-in of {name} was denied at the authorization server{said}"
    if code == "expired_token":  # RFC 8628: the code was not entered in time
        return f"the sign-in of {name} was not completed in time{said}"
    if code == "cancelled":  # the person closed the app's sign-in dialog
        return f"the sign-in of {name} was cancelled"
    if code == "timeout":  # the browser sign-in's loopback redirect never came
        return f"the sign-in of {name} got no answer from the browser in time"
    return (
        f"the authorization server no longer accepts the sign-in of {name}{said}: it was "
        "revoked (a password change, 'sign out everywhere', an administrator) or it expired"
    )


def challenge_words(data: dict) -> str:
    """What a server's OAuth error challenge (RFC 7628 3.2.2: its status, the scope it
    needs) says, in words; "" when it sent none."""
    status, scope = plain(data.get("status")), plain(data.get("scope"))
    parts = []
    if status:
        parts.append(_CHALLENGE_STATUS.get(status, f"status {status}"))
    if scope:
        parts.append(f"the server needs the scope {scope}")
    return "; ".join(parts)


_CHALLENGE_STATUS = {
    "invalid_token": "the token is not valid (expired or revoked)",
    "insufficient_scope": "the token lacks a permission",
    "401": "the token is not valid (expired or revoked)",
    "400": "the request was malformed",
}


def sign_in_advice(error: Any) -> str:
    """What to run for a NeedsSignIn: the sign-in command with the account's name."""
    name = plain(getattr(error, "account", "")) or "ACCOUNT"
    if getattr(error, "browser", False):
        return f"sign in with a web browser: tuimail account login {name} --browser"
    again = "sign in" if error.code == "not_signed_in" else "sign in again"
    return f"{again}: tuimail account login {name}"
