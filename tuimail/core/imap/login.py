"""The one IMAP login: used by the account runtime, setup verification and the doctor.

One attempt per call: LOGIN, or AUTHENTICATE PLAIN where the server has LOGINDISABLED
(over TLS some servers only offer SASL) or the login or password is not ASCII (LOGIN
cannot carry it; PLAIN is UTF-8). A rejection is never followed by another
mechanism. Failures are typed (tuimail.core.imap.errors.classify_imap).

An OAuth 2.0 account's "password" is a BearerToken (tuimail.core.oauth2.tokens): it goes
out with AUTHENTICATE OAUTHBEARER or XOAUTH2 (SASL-IR when offered); a rejected token is
renewed once and tried once more on the same connection, never looped.
"""

from __future__ import annotations

from imapclient import IMAPClient

from tuimail.core.errors import MailError, Refused, SecurityFailure
from tuimail.core.imap.errors import classify_imap
from tuimail.core.secrets import Secret


def imap_login(
    client: IMAPClient, login: str, password: str | Secret, *, host: str | None = None
) -> str:
    """Log `client` in (one AUTH attempt); returns the mechanism used ("LOGIN"/"PLAIN").

    Raises AuthenticationFailed (credentials rejected), ServerBusy ([UNAVAILABLE]...),
    SecurityFailure (no password login offered), ConnectionLost, ProtocolViolation.
    """
    from tuimail.core.secrets import BearerToken

    # Whose folders this connection sees (tuimail.core.imap.names.mailbox_owner).
    client.tuimail_login = login
    if getattr(getattr(client, "_imap", None), "state", None) == "AUTH":
        # A PREAUTH greeting (RFC 3501 7.1.4): already logged in, no credential is sent.
        # (With STARTTLS a PREAUTH greeting never gets here: STARTTLS fails first.)
        return "PREAUTH"
    if isinstance(password, BearerToken):
        return _bearer_login(client, login, password, host)
    if isinstance(password, Secret):
        password = password.reveal()
    try:
        caps = {c.decode("ascii", "replace").upper() for c in client.capabilities()}
    except Exception as exc:
        raise classify_imap(exc, host=host) from exc
    # LOGIN's strings are ASCII (imaplib cannot send anything else); AUTHENTICATE PLAIN
    # carries UTF-8 (RFC 4616): a password with "ä" goes that way when it is offered.
    ascii_only = login.isascii() and password.isascii()
    try:
        if "LOGINDISABLED" in caps or not ascii_only:
            if "AUTH=PLAIN" not in caps:
                if not ascii_only:
                    raise Refused(reason="login-not-ascii", protocol="imap", host=host)
                raise SecurityFailure(
                    reason="login-disabled",
                    protocol="imap",
                    host=host,
                    code="LOGINDISABLED",
                    data={"encrypted": _encrypted(client)},  # the advice differs
                )
            client.plain_login(login, password)
            return "PLAIN"
        client.login(login, password)
        return "LOGIN"
    except (SecurityFailure, Refused):
        raise
    except Exception as exc:
        error = classify_imap(exc, host=host, login=True)
        if error.kind == "authentication":
            error.data["login"] = login  # named in the words (tuimail.words)
        raise error from exc


def _encrypted(client: IMAPClient) -> bool:
    """Whether the connection is under TLS (implicit or after STARTTLS)."""
    import ssl

    return isinstance(getattr(getattr(client, "_imap", None), "sock", None), ssl.SSLSocket)


def _bearer_login(client: IMAPClient, login: str, token, host: str | None) -> str:
    from tuimail.core.oauth2.auth import imap_authenticate
    from tuimail.core.oauth2.tokens import with_bearer

    port = getattr(client, "port", 0) or 0

    def attempt(current) -> str:
        try:
            return imap_authenticate(client, login, current, host=host or "", port=port)
        except MailError:
            raise
        except Exception as exc:
            raise classify_imap(exc, host=host) from exc

    return with_bearer(token, attempt)
