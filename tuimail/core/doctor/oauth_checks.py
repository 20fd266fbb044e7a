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
        results.append(_result("token", "ok", {"finding": "token-from-command"}, started))
    else:
        held = tokens.held(account)
        left = (held.expires_at - time.time()) if held else 0
        data = {"finding": "signed-in", "expires_in": round(left), "where": tokens.where(account)}
        results.append(_result("token", "ok", data, started))
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
        return _result("scopes", "ok", {"finding": "no-introspection"}, started)
    basic = (ep.client_id, ep.client_secret.reveal()) if ep.client_secret else None
    who_data = {"login": account.login, "account": account.name}

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
        found = {"finding": "introspection-http", "status": status, "error": data.get("error")}
        return _result("scopes", "warning", found, started)
    if data.get("active") is not True:  # even a renewed one
        return _result("scopes", "failure", {"finding": "token-inactive", **who_data}, started)
    granted = str(data.get("scope", "")).split()
    who = str(data.get("username") or data.get("sub") or "")
    exp = data.get("exp")
    found = {
        "granted": granted,
        "who": who,
        "expires_in": round(exp - time.time()) if isinstance(exp, int | float) else None,
        **who_data,
    }
    wanted = [s for s in ep.scopes if s not in granted]
    if wanted and granted:
        found = {"finding": "scopes-missing", "wanted": wanted, **found}
        return _result("scopes", "warning", found, started)
    if who and who.lower() not in (account.login.lower(), account.email.lower()):
        return _result("scopes", "warning", {"finding": "other-user", **found}, started)
    return _result("scopes", "ok", {"finding": "token-active", **found}, started)


def _result(name: str, status, data: dict, started: float) -> CheckResult:
    """A sign-in finding as data (`finding` and what its words need: tuimail.doctor_words)."""
    return CheckResult(name, GROUP, status, "", "", time.monotonic() - started, data=data)


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
