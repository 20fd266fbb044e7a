"""The access token of an `auth = "oauth2"` account, for every login tuimail makes.

    token = access_token(account)        # a BearerToken (a Secret), fresh for a minute at least
    token.renewed()                      # after the server rejected it: one new token, or None
    signed_in(account, token_set)        # after `tuimail account login`: keep the refresh token

Where a token comes from: the account's `oauth2_token_command` (run like password_command:
`sh -c`, first line), else the built-in sign-in: the access token held in memory for this
process, renewed from the stored refresh token (tuimail.core.oauth2.store) before it
expires. A rotated refresh token is stored again at once.

Invariants:
- Tokens are Secrets: never printed, logged (tuimail.core.logs redacts them) or shown in a
  crash (repr ``***``); access tokens are never written anywhere.
- A rejected token is renewed once and the login retried once (`with_bearer`), never looped.
- A refresh the authorization server refuses (revoked, expired) or a missing sign-in is
  NeedsSignIn: an AuthenticationFailed and a PasswordError, so the runtime's needs-password
  state, the CLI's "no password available" and the doctor treat it like a missing password;
  queued work stays queued. A refresh that fails for a transient reason (network, server
  busy) keeps its transient type and is retried later.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from tuimail.core import errors
from tuimail.core.oauth2 import flows, store
from tuimail.core.oauth2.flows import Endpoints, TokenSet
from tuimail.core.secrets import BearerToken, PasswordError, Secret, run_password_command

if TYPE_CHECKING:
    from tuimail.core.account import Account

T = TypeVar("T")
RENEW_BEFORE = 60.0  # seconds: a token expiring sooner is renewed before use


class NeedsSignIn(errors.AuthenticationFailed, PasswordError):
    """The account has no usable sign-in: never signed in here (code "not_signed_in"), or
    the authorization server refused it (its OAuth error code and words: revoked, expired,
    denied). Nothing is tried until the user signs in again (`tuimail account login NAME`,
    or the app's "Sign in"). `account` is the account's name and `browser` True when only
    a browser sign-in can work (no device sign-in): the edge words it from these
    (tuimail.words), saying what to run once."""

    kind = "authentication"

    def __init__(self, message: str = "", *, account: str = "", browser: bool = False, **kw):
        super().__init__(message, **kw)
        self.account = account
        self.browser = browser


# -- endpoints ---------------------------------------------------------------------------


def endpoints(account: Account) -> Endpoints:
    """The account's authorization server: its `oauth2` table over the provider's entry in
    the shipped ISP database. The account's ca_file is trusted for it too."""
    from tuimail.core.connect import account_timeout
    from tuimail.core.discovery import ispdb

    table = dict(account.oauth2 or {})
    base = ispdb.provider(table["provider"]) if table.get("provider") else None
    token_endpoint = table.get("token_endpoint") or (base.token_endpoint if base else None)
    # the account's own client id wins; else its provider's [oauth2_clients] entry (the
    # secret always comes with the id it belongs to)
    client = table if table.get("client_id") else (account.oauth2_client or {})
    if not token_endpoint or not client.get("client_id"):
        raise errors.Refused(
            protocol="http", code="config", reason="no-client", data={"account": account.name}
        )
    secret = client.get("client_secret")
    return Endpoints(
        token_endpoint=token_endpoint,
        client_id=client["client_id"],
        scopes=tuple(table.get("scopes") or (base.scopes if base else ())),
        authorization_endpoint=table.get("authorization_endpoint")
        or (base.authorization_endpoint if base else None),
        device_authorization_endpoint=table.get("device_authorization_endpoint")
        or (base.device_authorization_endpoint if base else None),
        introspection_endpoint=table.get("introspection_endpoint"),
        client_secret=Secret(secret) if secret else None,
        ca_file=os.path.expanduser(account.ca_file) if account.ca_file else None,
        timeout=account_timeout(account),
        issuer=table.get("issuer") or (base.issuer if base else None),
    )


# -- the tokens held in this process -------------------------------------------------------

_held: dict[str, TokenSet] = {}
_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


def _lock(name: str) -> threading.Lock:
    with _locks_lock:
        return _locks.setdefault(name, threading.Lock())


def held(account: Account) -> TokenSet | None:
    """The token set this process holds for the account (None before the first use)."""
    return _held.get(account.name)


def signed_in(account: Account, tokens: TokenSet) -> str:
    """Keep a fresh sign-in: the access token in memory, the refresh token where the
    account's oauth2_token_store says. Returns "keyring", "file" or "memory"."""
    with _lock(account.name):
        _held[account.name] = tokens
        return store.save(
            account.name, tokens.refresh_token, account.oauth2_token_store, _issuer(account)
        )


def _issuer(account: Account) -> str | None:
    """The token endpoint the account's tokens come from (None: not configured)."""
    try:
        return endpoints(account).token_endpoint
    except errors.MailError:
        return None


def sign_out(account: Account) -> None:
    """Forget the sign-in here (memory, keyring and file)."""
    with _lock(account.name):
        _held.pop(account.name, None)
        store.forget(account.name)


def where(account: Account) -> str:
    return store.where(account.name, account.oauth2_token_store)


def access_token(account: Account) -> BearerToken:
    """A token for the next login (see the module docstring)."""
    if account.oauth2_token_command:
        return _from_command(account)
    with _lock(account.name):
        tokens = _held.get(account.name)
        if tokens is None or tokens.expires_within(RENEW_BEFORE):
            tokens = _refresh(account, tokens)
        return _bearer(account, tokens)


def _bearer(account: Account, tokens: TokenSet) -> BearerToken:
    return BearerToken(tokens.access_token.reveal(), lambda rejected: _renew(account, rejected))


def _renew(account: Account, rejected: BearerToken) -> BearerToken | None:
    if account.oauth2_token_command:
        fresh = _from_command(account)
        return None if fresh == rejected else fresh
    with _lock(account.name):
        tokens = _held.get(account.name)
        if tokens is not None and tokens.access_token.reveal() != rejected.reveal():
            if not tokens.expires_within(RENEW_BEFORE):  # another login renewed it already
                return _bearer(account, tokens)
        return _bearer(account, _refresh(account, tokens))


def _refresh(account: Account, tokens: TokenSet | None) -> TokenSet:
    """Renew from the refresh token (held, else stored); store a rotated one."""
    refresh_token = tokens.refresh_token if tokens is not None else None
    if refresh_token is None:
        refresh_token = store.load(account.name, account.oauth2_token_store)
    if refresh_token is not None:
        issued_by = store.issuer_of(account.name, account.oauth2_token_store)
        now = _issuer(account)
        if issued_by is not None and now is not None and issued_by != now:
            # The account now names another authorization server than the one that
            # issued the refresh token (config.toml edited, the provider changed): the
            # token is a credential of that other server, never sent here. Sign in again.
            refresh_token = None
    if refresh_token is None:
        raise NeedsSignIn(
            protocol="oauth2",
            code="not_signed_in",
            account=account.name,
        )
    try:
        here = endpoints(account)
        fresh = flows.refresh(here, TokenSet(Secret(""), refresh_token, 0.0))
    except flows.SignInError as exc:
        _held.pop(account.name, None)
        store.forget(account.name)  # refused for good: it will never work again
        raise NeedsSignIn(
            protocol="oauth2",
            code=exc.code,
            server_text=exc.server_text,
            account=account.name,
        ) from None
    if fresh.refresh_token is not None and fresh.refresh_token != refresh_token:
        store.save(
            account.name, fresh.refresh_token, account.oauth2_token_store, here.token_endpoint
        )
    _held[account.name] = fresh
    return fresh


def _from_command(account: Account) -> BearerToken:
    secret = run_password_command(account.oauth2_token_command, what="oauth2_token_command")
    return BearerToken(secret.reveal(), lambda rejected: _renew(account, rejected))


# -- one renewal and one retry -------------------------------------------------------------


def with_bearer(token: BearerToken, attempt: Callable[[BearerToken], T]) -> T:
    """`attempt(token)`; when the server rejects the token (AuthenticationFailed), once more
    with a renewed token. A second rejection, or a failed renewal, is raised."""
    try:
        return attempt(token)
    except errors.AuthenticationFailed:
        fresh = token.renewed()
        if fresh is None:
            raise
    return attempt(fresh)


async def with_bearer_async(
    token: BearerToken, attempt: Callable[[BearerToken], Awaitable[T]]
) -> T:
    """with_bearer for the asyncio SMTP login."""
    try:
        return await attempt(token)
    except errors.AuthenticationFailed:
        fresh = token.renewed()
        if fresh is None:
            raise
    return await attempt(fresh)
