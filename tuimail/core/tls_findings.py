"""Detection's words for a TLS failure (the probes' details, autoconfig's look-up and the
setup login check), which are still sentences made in core. The doctor no longer uses
this: its TLS findings carry the typed SecurityFailure and are worded at the edge
(tuimail.doctor_words with tuimail.words.security), as the CLI and the app do. What is
left to do (issue 13): carry ProbeResult.failure / LoginCheck.failure to the edge the
same way and delete this second table. Worded from the typed reason the TLS classifier
decided (tuimail.core.tls.tls_reason), never from an exception's text."""

from __future__ import annotations

from tuimail.core.sanitize import sanitize
from tuimail.core.tls import tls_reason

_PHRASES = {
    "untrusted": "the server's certificate is not from an authority this computer trusts",
    "expired": "the server's certificate has expired",
    "not-yet-valid": "the server's certificate is not valid yet",
    "hostname": "the server's certificate does not name this host",
    "certificate": "the server's certificate could not be verified",
    "not-tls": "the server did not answer with TLS; it sent something else",
    "protocol-version": "the server does not speak TLS 1.2 or newer",
    "handshake": "the TLS handshake failed",
    "starttls-missing": "STARTTLS is not offered, so the connection cannot be encrypted",
    "starttls-refused": "the server refused STARTTLS",
    "starttls-closed": (
        "the server accepted STARTTLS but then closed the connection instead of starting encryption"
    ),
    "injection": (
        "the server sent data between its STARTTLS reply and the start of encryption; "
        "someone may be tampering with the connection, so it was closed"
    ),
    "ca-file": "the ca_file cannot be used",
}
_CA_FILE = {
    "missing": "does not exist",
    "permission": "cannot be read (permission denied)",
    "directory": "is a directory, not a PEM file",
    "unreadable": "cannot be read",
    "no-certificate": "holds no PEM certificate that can be used",
}
_UNTRUSTED = {
    18: "the server's certificate is self-signed and not trusted",
    19: "the server's certificate chain ends in an untrusted self-signed root",
    20: "the server's certificate was issued by an unknown authority",
    21: "the server's certificate could not be verified (incomplete chain)",
}


def finding(reason: str, data: dict | None = None, server_text: str | None = None) -> str:
    """A report's phrase for a TLS failure of `reason` (SECURITY_REASONS) with `data`."""
    data = data or {}
    if reason == "untrusted":
        words = _UNTRUSTED.get(data.get("verify_code"), _PHRASES["untrusted"])  # type: ignore[arg-type]
    elif reason == "pin":
        if not data.get("actual"):
            words = "the server sent no certificate to compare with the trusted key"
        else:
            words = (
                "the server's key changed: it is not the one you chose to trust "
                f"(trusted SHA-256 {data.get('expected')}, the server's now {data.get('actual')})"
            )
    elif reason == "alpn":
        words = (
            f"the server answered for another protocol ({data.get('selected')!r} instead of "
            f"{data.get('wanted')!r}); the connection may have been redirected"
        )
    elif reason == "ca-file":
        label = data.get("label") or "the ca_file"
        problem = _CA_FILE.get(str(data.get("problem")), "cannot be used")
        words = f"{label} {data.get('path', '')} {problem}"
    else:
        words = _PHRASES.get(reason, _PHRASES["handshake"])
    extra = data.get("library") or server_text
    if extra:
        words = f"{words} ({extra})"
    return sanitize(words)


def finding_for(exc: BaseException) -> str:
    """`finding` for a TLS exception (an ssl error, or connect's TLSRequiredError), its
    reason decided by the TLS classifier."""
    from tuimail.core.connect import TLSRequiredError

    if isinstance(exc, TLSRequiredError):
        return finding(exc.reason, exc.data, exc.server_text)
    return finding(*tls_reason(exc))
