"""The one place that builds client TLS contexts.

Every connection tuimail makes (IMAP, POP3, SMTP, autoconfig HTTPS, probes) gets its
context here: certificates verified, TLS 1.2 or newer, hostname checked against the SAN
only (no CN fallback, RFC 9525), SNI sent by the caller's server_hostname.

A user may trust one self-signed certificate for one host and port: it is pinned by the
SHA-256 of its public key (SPKI). Such a context does not verify the chain; the pin is
compared by the context itself at the end of every handshake (sockets and the asyncio
SSLObject alike), before a byte of application data can be sent, so no caller can skip it.

The same hook enforces ALPN (RFC 7301, against ALPACA): a context made for one protocol
offers its name, and a server that selects another protocol is refused. A server that
does not do ALPN (selects nothing) is fine.

`inspection_context` is the one exception, kept visibly apart: it verifies nothing, is
only used to read a certificate's key for the "trust this certificate" hint, and the
connection it makes is closed right after the handshake (nothing is ever sent on it).
"""

from __future__ import annotations

import os
import ssl
import threading

from tuimail.core.sanitize import sanitize
from tuimail.core.trust_store import load_system_trust


class CertificatePinError(ssl.SSLError):
    """The server's key is not the one the user chose to trust: `expected` is the pin,
    `actual` the SHA-256 of the key the server showed (hex, full length)."""

    def __init__(self, message: str, actual: str = "", expected: str = "") -> None:
        super().__init__(message)
        self.actual, self.expected = actual, expected

    def __str__(self) -> str:  # ssl.SSLError would show the args tuple
        return str(self.args[0]) if self.args else "the server's key is not the trusted one"


class ALPNMismatchError(ssl.SSLError):
    """The server selected another application protocol than the one asked for."""

    def __init__(self, message: str, wanted: str = "", selected: str = "") -> None:
        super().__init__(message)
        self.wanted, self.selected = wanted, selected

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "the server answered for another protocol"


class CAFileError(ssl.SSLError):
    """The account's ca_file cannot be used: missing, unreadable, or no certificate in it.
    A sentence naming the file; raised before any connection is made."""

    reason = "CA_FILE"
    library = None

    def __init__(
        self, message: str, path: str = "", problem: str = "", label: str = "", detail: str = ""
    ) -> None:
        super().__init__(message)
        self.path, self.problem, self.label, self.detail = path, problem, label, detail

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "the ca_file cannot be used"


ALPN_PROTOCOLS = ("imap", "pop3", "smtp")


def _enforce(conn: ssl.SSLSocket | ssl.SSLObject) -> None:
    """The policy checks of a finished handshake: the pin and the ALPN answer."""
    context = conn.context
    check_pin(conn.getpeercert(binary_form=True), getattr(context, "pinned_sha256", None))
    wanted = getattr(context, "alpn", None)
    selected = conn.selected_alpn_protocol()
    if wanted and selected is not None and selected != wanted:
        raise ALPNMismatchError(
            f"the server answered for another protocol ({selected!r} instead of {wanted!r}); "
            "the connection may have been redirected to another service",
            wanted=wanted,
            selected=selected,
        )


class _PolicySocket(ssl.SSLSocket):
    """An SSLSocket that applies the policy when its handshake completes."""

    _policy_done = False

    def do_handshake(self, block: bool = False) -> None:  # type: ignore[override]
        super().do_handshake(block)
        if not self._policy_done:
            try:
                _enforce(self)
            except BaseException:
                self.close()
                raise
            self._policy_done = True

    def _ensure_policy(self) -> None:
        if not self._policy_done:  # a handshake done implicitly by a read or write
            self.do_handshake()

    def send(self, data, flags: int = 0) -> int:  # type: ignore[override]
        self._ensure_policy()
        return super().send(data, flags)

    def sendall(self, data, flags: int = 0) -> None:  # type: ignore[override]
        self._ensure_policy()
        return super().sendall(data, flags)

    def write(self, data) -> int:  # type: ignore[override]
        self._ensure_policy()
        return super().write(data)


class _PolicyObject(ssl.SSLObject):
    """The SSLObject (asyncio, aiosmtplib) counterpart of _PolicySocket."""

    _policy_done = False

    def do_handshake(self) -> None:
        super().do_handshake()  # raises SSLWantReadError until it is complete
        if not self._policy_done:
            _enforce(self)
            self._policy_done = True

    def write(self, data) -> int:  # type: ignore[override]
        if not self._policy_done:
            self.do_handshake()
        return super().write(data)


class PolicyContext(ssl.SSLContext):
    """A client context whose handshakes end with the pin and ALPN checks."""

    sslsocket_class = _PolicySocket
    sslobject_class = _PolicyObject
    pinned_sha256: str | None = None
    alpn: str | None = None


def client_context(
    ca_file: str | None = None,
    *,
    pinned_sha256: str | None = None,
    alpn: str | None = None,
) -> ssl.SSLContext:
    """A verifying client context; `ca_file` adds a trust anchor to the system's.

    With `pinned_sha256` the chain is not verified and the server's key must match the
    pin instead; with `alpn` ("imap", "pop3", "smtp") that protocol is offered and a
    server selecting another one is refused. Both are checked inside every handshake.
    """
    if alpn is not None and alpn not in ALPN_PROTOCOLS:
        raise ValueError(f"unknown ALPN protocol {alpn!r}")
    context = PolicyContext(ssl.PROTOCOL_TLS_CLIENT)
    load_system_trust(context)  # the system's CAs; lazily where the platform allows it
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.hostname_checks_common_name = False
    if ca_file:
        load_ca_file(context, ca_file)
    if pinned_sha256:
        # The chain of a self-signed certificate cannot verify; the pin replaces it.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.pinned_sha256 = pinned_sha256
    else:
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
    if alpn:
        context.set_alpn_protocols([alpn])
        context.alpn = alpn
    return context


def load_ca_file(context: ssl.SSLContext, ca_file: str, label: str = "the ca_file") -> None:
    """Add the certificates of `ca_file` (``~`` expanded) to the context's trust anchors,
    or raise CAFileError with a sentence saying what is wrong with the file."""
    shown = f"{label} {sanitize(ca_file)}"
    path = os.path.expanduser(ca_file)

    def problem(key: str, words: str, detail: str = "") -> CAFileError:
        return CAFileError(f"{shown} {words}", sanitize(ca_file), key, label, detail)

    try:
        context.load_verify_locations(cafile=path)
    except ssl.SSLError as exc:  # before OSError: SSLError is one
        detail = str(exc.reason or type(exc).__name__)
        raise problem(
            "no-certificate", f"holds no PEM certificate that can be used ({detail})", detail
        ) from None
    except FileNotFoundError:
        raise problem("missing", "does not exist") from None
    except PermissionError:
        raise problem("permission", "cannot be read (permission denied)") from None
    except IsADirectoryError:
        raise problem("directory", "is a directory, not a PEM file") from None
    except OSError as exc:
        detail = exc.strerror or type(exc).__name__
        raise problem("unreadable", f"cannot be read ({detail})", detail) from None


def ca_file_problem(ca_file: str | None, label: str = "the ca_file") -> str | None:
    """None when `ca_file` is usable (or not set), else the sentence saying why not."""
    if not ca_file:
        return None
    try:
        load_ca_file(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), ca_file, label)
    except CAFileError as exc:
        return str(exc)
    return None


def mail_context(
    protocol: str, security: str, ca_file: str | None = None, pinned_sha256: str | None = None
) -> ssl.SSLContext:
    """The context for a mail connection: ALPN is offered on implicit TLS."""
    alpn = protocol if security == "tls" else None
    return client_context(ca_file, pinned_sha256=pinned_sha256, alpn=alpn)


_SHARED: dict[tuple, ssl.SSLContext] = {}
_SHARED_LOCK = threading.Lock()


def shared_mail_context(
    protocol: str, security: str, ca_file: str | None = None, pinned_sha256: str | None = None
) -> ssl.SSLContext:
    """`mail_context`, built once per process for the same settings and reused by every
    connection (loading the system's trust store costs ~50 ms of CPU, holding the GIL,
    per context). A changed ca_file on disk gets a new context; one that cannot be read
    raises CAFileError each time and nothing is kept. Callers must not change it (use
    `mail_context` for a context of your own)."""
    alpn = protocol if security == "tls" else None
    key = (alpn, ca_file, _file_stamp(ca_file), pinned_sha256)
    with _SHARED_LOCK:
        context = _SHARED.get(key)
    if context is None:
        context = client_context(ca_file, pinned_sha256=pinned_sha256, alpn=alpn)
        with _SHARED_LOCK:
            if len(_SHARED) >= 64:  # settings changed many times: start again
                _SHARED.clear()
            context = _SHARED.setdefault(key, context)
    return context


def _file_stamp(ca_file: str | None) -> tuple | None:
    if not ca_file:
        return None
    try:
        st = os.stat(os.path.expanduser(ca_file))
    except OSError:
        return ("unreadable",)  # client_context raises; nothing is kept
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def inspection_context() -> ssl.SSLContext:
    """A context that verifies NOTHING: only for reading a server's certificate to show
    its fingerprint. Never log in or send anything over a connection made with it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def spki_sha256(der_certificate: bytes) -> str:
    """Hex SHA-256 of the certificate's SubjectPublicKeyInfo (what a pin names)."""
    # Imported here: cryptography's x509 costs more start-up than the rest of a sync needs
    # (and hashlib, ~1 ms, is only for a pinned key).
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    cert = x509.load_der_x509_certificate(der_certificate)
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def check_pin(der_certificate: bytes | None, pinned_sha256: str | None) -> None:
    """Raise CertificatePinError unless the certificate's key matches the pin."""
    if not pinned_sha256:
        return
    if not der_certificate:
        raise CertificatePinError("the server sent no certificate")
    import hmac

    actual = spki_sha256(der_certificate)
    expected = pinned_sha256.lower().replace(":", "")
    if not hmac.compare_digest(actual, expected):
        raise CertificatePinError(
            "the server's key changed: it is not the one you chose to trust "
            f"(trusted SHA-256 {expected}, the server's now {actual})",
            actual=actual,
            expected=expected,
        )


# OpenSSL's X509_V_ERR_* verify codes (ssl.SSLCertVerificationError.verify_code).
_VERIFY_REASONS = {
    9: "not-yet-valid",  # CERT_NOT_YET_VALID
    10: "expired",  # CERT_HAS_EXPIRED
    2: "untrusted",  # UNABLE_TO_GET_ISSUER_CERT
    18: "untrusted",  # DEPTH_ZERO_SELF_SIGNED_CERT
    19: "untrusted",  # SELF_SIGNED_CERT_IN_CHAIN
    20: "untrusted",  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21: "untrusted",  # UNABLE_TO_VERIFY_LEAF_SIGNATURE (incomplete chain)
    62: "hostname",  # HOSTNAME_MISMATCH
    64: "hostname",  # IP_ADDRESS_MISMATCH
}


def tls_reason(exc: BaseException) -> tuple[str, dict]:
    """The TLS classifier: which failure a handshake (or its policy check) ended in, as
    one of tuimail.core.errors.SECURITY_REASONS, and the data a person needs to act on it.

    Decided from the exception's type and the library's verify code (a number); the
    library's words are read only here, only where it gives nothing else (a hostname
    mismatch without a code, the handshake's reason name), and travel as `library`.
    The sentences are made at the edge (tuimail.words.security.security)."""
    if isinstance(exc, CertificatePinError):
        return "pin", {"expected": exc.expected, "actual": exc.actual}
    if isinstance(exc, ALPNMismatchError):
        return "alpn", {"wanted": exc.wanted, "selected": exc.selected}
    if isinstance(exc, CAFileError):
        data = {"path": exc.path, "problem": exc.problem, "label": exc.label}
        if exc.detail:
            data["library"] = exc.detail
        return "ca-file", data
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = getattr(exc, "verify_code", None)
        message = str(getattr(exc, "verify_message", "") or getattr(exc, "reason", "") or "")
        data: dict = {"verify_code": code, "library": sanitize(message)}
        reason = _VERIFY_REASONS.get(code) if isinstance(code, int) else None
        if reason is None:
            low = message.lower()
            hostname = "hostname" in low or "ip address mismatch" in low
            reason = "hostname" if hostname else "certificate"
        return reason, data
    if isinstance(exc, ssl.SSLError):
        name = str(getattr(exc, "reason", None) or type(exc).__name__)
        data = {"library": sanitize(name)}
        upper = name.upper()
        if upper in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST"):
            return "not-tls", data
        if "VERSION" in upper or "PROTOCOL" in upper:
            return "protocol-version", data
        return "handshake", data
    return "handshake", {"library": type(exc).__name__}
