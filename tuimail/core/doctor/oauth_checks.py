"""The doctor's checks of an OAuth 2.0 sign-in (accounts with auth = "oauth2"): is there a
token, is it valid, when does it expire, which scopes does it carry (by introspection,
RFC 7662, when the account names an introspection endpoint; otherwise the login checks
that follow show whether the servers accept it), and why a sign-in is refused.

Never shows a token: only what the authorization server says about it.
"""

from __future__ import annotations

import time

from tuimail.core import errors
from tuimail.core.account import Account
from tuimail.core.doctor.report import CheckResult
from tuimail.core.secrets import PasswordError

GROUP = "OAuth 2.0 sign-in"


def _in(seconds: float) -> str:
    if seconds < 90:
        return f"{max(0, round(seconds))} seconds"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"


def check_sign_in(
    account: Account, timeout: float = 15.0, met: BaseException | None = None
) -> list[CheckResult]:
    """The sign-in checks ([] for a password account). `met`: the error the caller
    already met asking for the account's token (a NeedsSignIn), reported as it was: a
    refused refresh token is forgotten at once, so asking again would only find no
    sign-in and report a revoked one as "not signed in"."""
    if account.auth != "oauth2":
        return []
    from tuimail.core.oauth2 import tokens

    started = time.monotonic()
    account_data = {"account": account.name}
    try:
        if met is not None:
            raise met
        token = tokens.access_token(account)
    except tokens.NeedsSignIn as exc:  # worded, with the sign-in to run, at the edge
        finding = "not-signed-in" if exc.code == "not_signed_in" else "sign-in-revoked"
        return [_failed("token", exc, {"finding": finding, **account_data}, started)]
    except PasswordError as exc:  # the oauth2_token_command failed (its error says why)
        return [_failed("token", exc, {"finding": "token-command"}, started)]
    except errors.Refused as exc:
        return [_failed("token", exc, {"finding": "client-refused"}, started)]
    except errors.MailError as exc:
        return [_failed("token", exc, {"finding": "token-unavailable"}, started)]
    results: list[CheckResult] = []
    if account.oauth2_token_command:
        results.append(
            _result(
                "token",
                "ok",
                "the oauth2_token_command printed a token (its expiry is the helper's business)",
                "",
                started,
            )
        )
    else:
        held = tokens.held(account)
        left = (held.expires_at - time.time()) if held else 0
        results.append(
            _result(
                "token",
                "ok",
                f"signed in; the access token is valid and expires in {_in(left)} (renewed "
                f"by itself; the sign-in is kept in the {tokens.where(account)})",
                "",
                started,
            )
        )
    results.append(_introspect(account, token, started, timeout))
    return results


def _introspect(account: Account, token, started: float, timeout: float) -> CheckResult:
    from tuimail.core.oauth2 import tokens
    from tuimail.core.oauth2.http import post_form

    try:
        ep = tokens.endpoints(account)
    except errors.MailError:
        ep = None
    if ep is None or not ep.introspection_endpoint:
        return _result(
            "scopes",
            "ok",
            "the provider publishes no token introspection: the logins below show whether "
            "the servers accept the token",
            "",
            started,
        )
    basic = (ep.client_id, ep.client_secret.reveal()) if ep.client_secret else None

    def introspect(token) -> tuple[int, dict]:
        form = {"token": token.reveal(), "token_type_hint": "access_token"}
        return post_form(
            ep.introspection_endpoint, form, ca_file=ep.ca_file, timeout=timeout, basic=basic
        )

    try:
        status, data = introspect(token)
        if status == 200 and data.get("active") is not True:
            # The token held is no longer active before its time (revoked at the server,
            # a clock off): renewed once, as every login does, before saying so.
            fresh = token.renewed()
            if fresh is not None:
                status, data = introspect(fresh)
    except tokens.NeedsSignIn as exc:  # the renewal was refused: worded at the edge
        data = {"finding": "sign-in-revoked", "account": account.name}
        return _failed("scopes", exc, data, started)
    except errors.MailError as exc:  # worded at the edge
        took = time.monotonic() - started
        data = {"finding": "introspection-failed"}
        return CheckResult("scopes", GROUP, "warning", "", "", took, exc, data)
    if status != 200:
        return _result(
            "scopes",
            "warning",
            f"the introspection endpoint answered HTTP {status} ({data.get('error', '')})",
            "the logins below still show whether the token works",
            started,
        )
    if data.get("active") is not True:  # even a renewed one
        return _result(
            "scopes",
            "failure",
            "the authorization server says the token is not active (revoked or expired), "
            "also after renewing it",
            f"sign in again: tuimail account login {account.name}",
            started,
        )
    granted = str(data.get("scope", "")).split()
    wanted = [s for s in ep.scopes if s not in granted]
    who = str(data.get("username") or data.get("sub") or "")
    seen = f"the token is active, scopes: {' '.join(granted) or '(none listed)'}"
    if who:
        seen += f", for {who}"
    exp = data.get("exp")
    if isinstance(exp, int | float):
        seen += f", expires in {_in(exp - time.time())}"
    if wanted and granted:
        return _result(
            "scopes",
            "warning",
            f"{seen}; it lacks {' '.join(wanted)}, which the account asks for",
            "sign in again and allow every permission asked for; if the provider does not "
            "offer it, the client registration lacks that API permission",
            started,
        )
    if who and who.lower() not in (account.login.lower(), account.email.lower()):
        return _result(
            "scopes",
            "warning",
            f"{seen}; it belongs to {who}, not to {account.login}",
            f"sign in as {account.login}: tuimail account login {account.name}",
            started,
        )
    return _result("scopes", "ok", seen, "", started)


def _result(name: str, status, seen: str, fix: str, started: float) -> CheckResult:
    return CheckResult(name, GROUP, status, seen, fix, time.monotonic() - started)


def _failed(
    name: str, error: errors.MailError | PasswordError, data: dict, started: float
) -> CheckResult:
    """A failed sign-in check: the typed error and what the edge needs to word it."""
    took = time.monotonic() - started
    return CheckResult(name, GROUP, "failure", "", "", took, failure=error, data=data)


def token_refused(group: str, account: Account, error: object, seconds: float):
    """The login check for a server that refused an OAuth login (None when `error` is no
    OAuth failure: the password explanations apply)."""
    from tuimail.core.oauth2.auth import NoOAuthMechanism
    from tuimail.core.oauth2.tokens import NeedsSignIn

    if isinstance(error, NeedsSignIn):  # no token to send: worded at the edge
        data = {"finding": "no-sign-in", "account": account.name}
        return CheckResult("login", group, "failure", "", "", seconds, error, data)
    if isinstance(error, NoOAuthMechanism):
        return CheckResult(
            "login", group, "failure", "", "", seconds, error, {"finding": "no-oauth"}
        )
    if not (hasattr(error, "challenge") and isinstance(error, errors.AuthenticationFailed)):
        return None
    data = {"finding": "token-rejected", "login": account.login, "account": account.name}
    return CheckResult("login", group, "failure", "", "", seconds, error, data)  # edge words
