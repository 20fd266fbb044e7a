"""Certificates for the test server: a throw-away CA and server certificates signed by it.

Besides the good certificate, the variants a client must reject can be made on purpose:
expired, issued for another host, CN-only (no SAN), and self-signed.
"""

from __future__ import annotations

import datetime as dt
import ssl
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEFAULT_NAMES = (
    "localhost",
    "127.0.0.1",
    "127.0.0.2",
    "::1",
    "example.test",
    "*.example.test",
)

CERT_KINDS = ("good", "expired", "wrong_host", "cn_only", "self_signed")


@dataclass(frozen=True)
class ServerCertificate:
    cert_file: str  # PEM: certificate chain
    key_file: str  # PEM: private key

    def server_context(self, alpn: tuple[str, ...] = ()) -> ssl.SSLContext:
        """A server context; with `alpn`, the ALPN names it selects from."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        if alpn:
            context.set_alpn_protocols(list(alpn))
        return context


class TestCA:
    """A CA whose PEM lives in `directory/ca.pem`, and the server certificates it signs."""

    __test__ = False  # not a pytest class

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory or tempfile.mkdtemp(prefix="tuimail-ca-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self._ca = trustme.CA(organization_name="tuimail test CA")
        self.ca_file = str(self.directory / "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_file)

    def issue(
        self, kind: str = "good", names: tuple[str, ...] = DEFAULT_NAMES
    ) -> ServerCertificate:
        """A certificate of the given kind (see CERT_KINDS), written under the directory."""
        if kind not in CERT_KINDS:
            raise ValueError(f"unknown certificate kind {kind!r}")
        now = dt.datetime.now(dt.UTC)
        if kind == "good":
            cert = self._ca.issue_cert(*names)
        elif kind == "expired":
            cert = self._ca.issue_cert(
                *names, not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
            )
        elif kind == "wrong_host":
            cert = self._ca.issue_cert("other.invalid", "*.other.invalid")
        else:
            return self._write_raw(kind, *_raw_certificate(kind, names[0], self._ca))
        prefix = self.directory / kind
        cert_file, key_file = f"{prefix}-cert.pem", f"{prefix}-key.pem"
        cert.cert_chain_pems[0].write_to_path(cert_file)
        for pem in cert.cert_chain_pems[1:]:
            pem.write_to_path(cert_file, append=True)
        cert.private_key_pem.write_to_path(key_file)
        return ServerCertificate(cert_file, key_file)

    def _write_raw(self, kind: str, cert_pem: bytes, key_pem: bytes) -> ServerCertificate:
        prefix = self.directory / kind
        cert_file, key_file = Path(f"{prefix}-cert.pem"), Path(f"{prefix}-key.pem")
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        return ServerCertificate(str(cert_file), str(key_file))


def _raw_certificate(kind: str, name: str, ca: trustme.CA) -> tuple[bytes, bytes]:
    """CN-only (signed by the CA, no SAN) or self-signed (with SANs) certificates."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
    )
    if kind == "self_signed":
        builder = builder.issuer_name(subject).add_extension(
            x509.SubjectAlternativeName(_san_entries(DEFAULT_NAMES)), critical=False
        )
        cert = builder.sign(key, hashes.SHA256())
    else:  # cn_only: a valid chain, but the host is named only in the CN
        ca_key = serialization.load_pem_private_key(ca.private_key_pem.bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
        cert = builder.issuer_name(ca_cert.subject).sign(ca_key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _san_entries(names: tuple[str, ...]) -> list[x509.GeneralName]:
    import ipaddress

    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return entries


@cache
def shared_ca() -> TestCA:
    """One CA per process: tests and the standalone server reuse it (CA creation is slow)."""
    return TestCA()
