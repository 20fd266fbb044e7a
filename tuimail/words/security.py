"""Words for a SecurityFailure (TLS and the connection's security), from the reason
the TLS classifier decided and its data; never from the library's text alone.
"""

from __future__ import annotations

from tuimail.core.errors import (
    SecurityFailure,
)
from tuimail.core.sanitize import sanitize
from tuimail.words.kinds import KIND_WORDS
from tuimail.words.plain import plain, whole


def security(error: SecurityFailure) -> str:
    """What a SecurityFailure's reason (decided by the TLS classifier) means, with its
    data (the pins, the protocol, the library's own words), without the server's words."""
    data = error.data if isinstance(error.data, dict) else {}
    reason = error.reason
    if reason == "untrusted":
        words = _UNTRUSTED.get(whole(data.get("verify_code")), _SECURITY["untrusted"])
    elif reason == "pin":
        expected, actual = plain(data.get("expected")), plain(data.get("actual"))
        if not actual:
            words = (
                "the server sent no certificate, so its key cannot be compared with the trusted one"
            )
        else:
            words = (
                "the server's key changed: it is not the one you chose to trust "
                f"(trusted SHA-256 {expected}, the server's now {actual})"
            )
    elif reason == "alpn":
        words = (
            f"the server answered for another protocol ({plain(data.get('selected'))!r} "
            f"instead of {plain(data.get('wanted'))!r}); the connection may have been "
            "redirected to another service"
        )
    elif reason == "login-disabled" and data.get("encrypted") is False:
        how, port = _NO_PLAIN_LOGIN.get(error.protocol or "", _NO_PLAIN_LOGIN["imap"])
        words = (
            f"the server does not accept a password on an unencrypted connection ({how}): "
            'set security = "starttls" for this server in the account (or "tls" on its '
            f"encrypted port, usually {port})"
        )
    elif reason == "login-disabled" and data.get("encrypted"):
        words = (
            "the server takes no password login (it announces LOGINDISABLED and offers "
            'no AUTH=PLAIN); it may want an OAuth 2.0 sign-in (auth = "oauth2") instead'
        )
    elif reason == "ca-file":
        path = plain(data.get("path"))
        label = plain(data.get("label")) or "the ca_file"
        problem = _CA_FILE.get(plain(data.get("problem")), "cannot be used")
        words = f"{label} {path} {problem}".replace("  ", " ")
    else:
        words = _SECURITY.get(reason) or error.message or KIND_WORDS["security"]
    library = plain(data.get("library"))
    if library and library not in words:
        words = f"{words} ({library})"
    if error.protocol == "pop3":
        words = words.replace("STARTTLS", "STLS")  # POP3's name for it (RFC 2595)
    return sanitize(words)


# How each protocol's server says it takes no login before encryption, and its TLS port.
_NO_PLAIN_LOGIN = {
    "imap": ("it announces LOGINDISABLED", 993),
    "pop3": ("it offers no USER login before STLS", 995),
    "smtp": ("it offers AUTH only after STARTTLS", 465),
}


_SECURITY = {
    "untrusted": "the server's certificate is not from an authority this computer trusts",
    "expired": "the server's certificate has expired",
    "not-yet-valid": "the server's certificate is not valid yet",
    "hostname": "the server's certificate does not name this host",
    "certificate": "the server's certificate could not be verified",
    "not-tls": "the server did not answer with TLS; it sent something else",
    "protocol-version": "the server does not speak TLS 1.2 or newer",
    "handshake": "the TLS handshake failed",
    "starttls-missing": (
        "the server does not offer STARTTLS, so the connection cannot be encrypted "
        "(someone may be stripping it)"
    ),
    "starttls-refused": "the server refused STARTTLS, so the connection cannot be encrypted",
    "privacy-required": "the mail server wants an encrypted connection for this",
    "login-disabled": "the server offers no password login tuimail supports on this connection",
    "not-https": "an authorization server must be reached over https",
    "state-mismatch": "the browser's answer does not match this sign-in (state)",
    "preauth-in-clear": (
        "the server said the session was logged in already (PREAUTH) before the connection "
        "was encrypted, so STARTTLS cannot be used; someone may be tampering with it"
    ),
    "starttls-closed": (
        "the server accepted STARTTLS but then closed the connection instead of starting encryption"
    ),
    "injection": (
        "the server sent data between its STARTTLS reply and the start of encryption; "
        "someone may be tampering with the connection, so it was closed"
    ),
}


_UNTRUSTED = {  # OpenSSL's X509_V_ERR_* verify codes
    18: "the server's certificate is self-signed and not trusted",
    19: "the server's certificate chain ends in an untrusted self-signed root",
    20: "the server's certificate was issued by an unknown authority",
    21: "the server's certificate could not be verified (incomplete chain)",
}


_CA_FILE = {
    "missing": "does not exist",
    "permission": "cannot be read (permission denied)",
    "directory": "is a directory, not a PEM file",
    "unreadable": "cannot be read",
    "no-certificate": "holds no PEM certificate that can be used",
}
