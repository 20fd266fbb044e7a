"""The one IMAP login: used by the account runtime, setup verification and the doctor.

One attempt per call: LOGIN, or AUTHENTICATE PLAIN where the server has LOGINDISABLED
(over TLS some servers only offer SASL). A rejection is never followed by another
mechanism. Failures are typed (tuimail.core.imap.errors.classify_imap).
"""

from __future__ import annotations

from imapclient import IMAPClient

from tuimail.core.errors import SecurityFailure
from tuimail.core.imap.errors import classify_imap


def imap_login(client: IMAPClient, login: str, password: str, *, host: str | None = None) -> str:
    """Log `client` in (one AUTH attempt); returns the mechanism used ("LOGIN"/"PLAIN").

    Raises AuthenticationFailed (credentials rejected), ServerBusy ([UNAVAILABLE]...),
    SecurityFailure (no password login offered), ConnectionLost, ProtocolViolation.
    """
    try:
        caps = {c.decode("ascii", "replace").upper() for c in client.capabilities()}
    except Exception as exc:
        raise classify_imap(exc, host=host) from exc
    try:
        if "LOGINDISABLED" in caps:
            if "AUTH=PLAIN" not in caps:
                raise SecurityFailure(
                    "the server offers no password login tuimail supports on this connection",
                    protocol="imap",
                    host=host,
                    code="LOGINDISABLED",
                )
            client.plain_login(login, password)
            return "PLAIN"
        client.login(login, password)
        return "LOGIN"
    except SecurityFailure:
        raise
    except Exception as exc:
        error = classify_imap(exc, host=host, login=True)
        if error.kind == "authentication":
            error.message = f"{host or 'the server'} refused the login for {login}"
        raise error from exc
