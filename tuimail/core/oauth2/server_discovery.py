"""Find a mail server's authorization server from the server itself (RFC 7628 3.2.2),
for a server that offers only OAuth logins and that no provider database knows.

    provider = discover_from_imap(settings, ca_file=..., timeout=...)   # OAuthProvider | None
    provider = discover_from_pop3(settings, ca_file=..., timeout=...)   # the same over POP3

An AUTHENTICATE (IMAP) or AUTH (POP3) OAUTHBEARER with an empty token (no user, no credential) makes the server
answer with its error challenge; its `openid-configuration` names the discovery document,
fetched over verified HTTPS (tuimail.core.oauth2.http): an OpenID Connect configuration or
RFC 8414 authorization-server metadata (same field names).

Invariants: nothing secret is sent (the token is empty, no authzid); only over TLS (a
plaintext connection is never asked); the document must name, as its issuer, the https
origin it was fetched from under /.well-known/ (RFC 8414 3.3), and all its endpoints must
be https, so a server cannot point tuimail at an issuer that did not publish the document.
The user still chooses to sign in: this only says where.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tuimail.core import errors
from tuimail.core.account import ServerSettings
from tuimail.core.discovery.ispdb import OAuthProvider
from tuimail.core.secrets import Secret

WELL_KNOWN = ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")


def discover_from_imap(
    settings: ServerSettings,
    *,
    ca_file: str | None = None,
    timeout: float = 10.0,
    address: str | None = None,
    alerts: list[str] | None = None,
) -> OAuthProvider | None:
    """The authorization server an IMAP server names in its OAUTHBEARER error challenge;
    None when it offers no OAUTHBEARER or names none. Network and TLS failures are raised
    typed (tuimail.core.errors). The connection's [ALERT]s (RFC 3501 7.1: to be shown;
    sanitised and bounded by tuimail.core.server_alerts) are added to `alerts`, whatever
    the outcome: no account exists yet to hand them to."""
    from tuimail.core.connect import open_imap
    from tuimail.core.imap.errors import classify_imap
    from tuimail.core.oauth2.auth import NoOAuthMechanism, TokenRejected, imap_authenticate

    if settings.security == "plain":
        return None  # a challenge read in clear could name anyone's server
    try:
        client = open_imap(settings, ca_file, timeout, address=address)
    except errors.MailError:
        raise
    except Exception as exc:
        raise classify_imap(exc, host=settings.host) from exc
    try:
        try:
            imap_authenticate(
                client, "", Secret(""), host=settings.host, port=settings.port,
                mechanism="OAUTHBEARER",
            )  # fmt: skip
        except (TokenRejected, NoOAuthMechanism) as exc:
            challenge = getattr(exc, "challenge", None)
        else:
            challenge = None  # it let an empty token in: nothing to learn from it
        try:
            client.logout()
        except Exception:
            pass
    finally:
        if alerts is not None:
            alerts += getattr(client._imap, "early_alerts", None) or ()
        try:
            client.shutdown()
        except Exception:
            pass
    return _from_challenge(challenge, ca_file, timeout)


def discover_from_pop3(
    settings: ServerSettings,
    *,
    ca_file: str | None = None,
    timeout: float = 10.0,
    address: str | None = None,
) -> OAuthProvider | None:
    """discover_from_imap for a POP3 server (AUTH OAUTHBEARER, RFC 5034)."""
    from tuimail.core.connect import open_pop3
    from tuimail.core.oauth2.auth import NoOAuthMechanism, TokenRejected, pop3_authenticate
    from tuimail.core.pop3_errors import classify_pop3

    if settings.security == "plain":
        return None
    try:
        pop = open_pop3(settings, ca_file, timeout, address=address)
    except errors.MailError:
        raise
    except Exception as exc:
        raise classify_pop3(exc, host=settings.host) from exc
    try:
        try:
            mechanisms = pop.capa().get("SASL", [])
        except Exception:
            mechanisms = []
        try:
            pop3_authenticate(
                pop, "", Secret(""), mechanisms, host=settings.host, port=settings.port,
                mechanism="OAUTHBEARER",
            )  # fmt: skip
        except (TokenRejected, NoOAuthMechanism) as exc:
            challenge = getattr(exc, "challenge", None)
        else:
            challenge = None
        try:
            pop.quit()
        except Exception:
            pass
    finally:
        try:
            pop.close()
        except Exception:
            pass
    return _from_challenge(challenge, ca_file, timeout)


def _from_challenge(challenge, ca_file: str | None, timeout: float) -> OAuthProvider | None:
    if challenge is None or not challenge.configuration:
        return None
    return from_document(
        challenge.configuration, challenge.scope.split(), ca_file=ca_file, timeout=timeout
    )


def issuer_of(url: str) -> str | None:
    """The issuer a discovery document's address stands for: the https origin (and path)
    before /.well-known/... (both the appended and the RFC 8414 inserted forms)."""
    if not url.isprintable() or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            return None
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:  # "https://[" and the like: not an address
        return None
    origin = f"https://{parts.netloc}"
    path = parts.path
    for suffix in WELL_KNOWN:
        if path.endswith(suffix):  # {issuer}/.well-known/...
            return origin + path[: -len(suffix)]
        if path.startswith(suffix):  # https://host/.well-known/...{issuer path}
            return origin + path[len(suffix) :]
    return None


def from_document(
    url: str, scopes: list[str], *, ca_file: str | None = None, timeout: float = 10.0
) -> OAuthProvider | None:
    """The endpoints of the discovery document at `url`; None when it is not one (wrong
    place, wrong issuer, no token endpoint, an endpoint not on https)."""
    from tuimail.core.oauth2.http import get_json

    issuer = issuer_of(url)
    if issuer is None:
        return None
    status, data = get_json(url, ca_file=ca_file, timeout=timeout)
    if status != 200 or str(data.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        return None
    names = ("token_endpoint", "authorization_endpoint", "device_authorization_endpoint")
    found = {name: data.get(name) for name in names}
    for value in found.values():
        if value is not None and not (isinstance(value, str) and value.startswith("https://")):
            return None
    if not found["token_endpoint"]:
        return None
    return OAuthProvider(
        issuer=issuer,
        scopes=tuple(s for s in scopes if s.isprintable())[:20],
        authorization_endpoint=found["authorization_endpoint"],
        token_endpoint=found["token_endpoint"],
        device_authorization_endpoint=found["device_authorization_endpoint"],
    )
