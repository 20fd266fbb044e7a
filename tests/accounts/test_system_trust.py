"""The system's trust store is loaded lazily (core/trust_store.py, issue 19) with exactly
the trust of OpenSSL's defaults: the hashed directory alone when it holds every CA of the
bundle file, the defaults otherwise. Verification, pins and a user's ca_file still hold.
Real handshakes against the bundled server; the "system" is SSL_CERT_FILE/SSL_CERT_DIR
pointed at files made here (OpenSSL's own variables, read by every context)."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

from testserver.certs import TestCA
from testserver.server import MailServer
from tuimail.core import trust_store
from tuimail.core.tls import CertificatePinError, client_context, mail_context


def _system(monkeypatch, root: Path, bundle: list[str], directory: list[str]) -> None:
    """A system trust store: a bundle file of `bundle`'s PEM files and a hashed directory
    of `directory`'s (named as `openssl rehash` names them)."""
    root.mkdir()
    (root / "certs").mkdir()
    (root / "bundle.pem").write_text("".join(Path(p).read_text() for p in bundle))
    for pem in directory:
        name = Path(pem).parent.name + ".pem"
        shutil.copy(pem, root / "certs" / name)
    subprocess.run(["openssl", "rehash", str(root / "certs")], check=True, timeout=60)
    monkeypatch.setenv("SSL_CERT_FILE", str(root / "bundle.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(root / "certs"))
    monkeypatch.delenv("SSL_CERT_URI", raising=False)


def _handshake(server: MailServer, context: ssl.SSLContext) -> ssl.SSLSocket:
    sock = socket.create_connection((server.host, server.ports.imap_tls), timeout=10)
    try:
        return context.wrap_socket(sock, server_hostname="localhost")
    except BaseException:
        sock.close()
        raise


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA(tmp_path_factory.mktemp("other-ca"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    ca = TestCA(tmp_path_factory.mktemp("server-ca"))
    with MailServer(ca=ca, protocols=("imap",)) as running:
        yield running


def test_hashed_directory_alone_when_it_holds_the_bundle(
    monkeypatch, tmp_path, server, other_ca
) -> None:
    cas = [server.ca_file, other_ca.ca_file]
    _system(monkeypatch, tmp_path / "system", bundle=cas, directory=cas)
    assert trust_store.load_system_trust(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)) == "directory"
    context = client_context()
    assert context.cert_store_stats()["x509_ca"] == 0  # nothing parsed before a handshake
    with _handshake(server, context) as tls:
        assert tls.getpeercert()  # verified against the CA read from the directory
    assert context.cert_store_stats()["x509_ca"] == 1  # only the CA it needed


def test_defaults_when_the_bundle_has_a_ca_the_directory_lacks(
    monkeypatch, tmp_path, server, other_ca
) -> None:
    _system(
        monkeypatch,
        tmp_path / "system",
        bundle=[other_ca.ca_file, server.ca_file],
        directory=[other_ca.ca_file],
    )
    assert trust_store.load_system_trust(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)) == "defaults"
    with _handshake(server, client_context()) as tls:  # the bundle's CA is trusted still
        assert tls.getpeercert()


def test_untrusted_certificate_still_refused(monkeypatch, tmp_path, server, other_ca) -> None:
    _system(monkeypatch, tmp_path / "system", [other_ca.ca_file], [other_ca.ca_file])
    assert trust_store.load_system_trust(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)) == "directory"
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(server, client_context())


def test_ca_file_and_pin_still_enforced_on_the_lazy_store(
    monkeypatch, tmp_path, server, other_ca
) -> None:
    _system(monkeypatch, tmp_path / "system", [other_ca.ca_file], [other_ca.ca_file])
    with _handshake(server, mail_context("imap", "tls", server.ca_file)) as tls:
        assert tls.selected_alpn_protocol() == "imap"
    with pytest.raises(CertificatePinError):
        _handshake(server, mail_context("imap", "tls", pinned_sha256="00" * 32))


@pytest.mark.parametrize(
    "extra",
    [
        "-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n",
        "-----BEGIN TRUSTED CERTIFICATE-----\nMIIB\n-----END TRUSTED CERTIFICATE-----\n",
    ],
    ids=["crl", "trusted-certificate"],
)
def test_a_bundle_with_other_blocks_gets_the_defaults(
    monkeypatch, tmp_path, other_ca, extra
) -> None:
    _system(monkeypatch, tmp_path / "system", [other_ca.ca_file], [other_ca.ca_file])
    with open(tmp_path / "system" / "bundle.pem", "a") as bundle:
        bundle.write(extra)
    assert trust_store.load_system_trust(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)) == "defaults"


def test_no_bundle_file_is_the_directory_as_the_defaults_use_it(
    monkeypatch, tmp_path, server
) -> None:
    _system(monkeypatch, tmp_path / "system", [server.ca_file], [server.ca_file])
    (tmp_path / "system" / "bundle.pem").unlink()
    assert trust_store.load_system_trust(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)) == "directory"
    with _handshake(server, client_context()) as tls:
        assert tls.getpeercert()


def test_the_verdict_is_kept_for_the_next_process_until_the_store_changes(
    monkeypatch, tmp_path, server, other_ca
) -> None:
    """The check of the bundle against the directory is made once: a later process reads
    its verdict (here: the in-process memory emptied, the check made to fail if run);
    a changed bundle, or a verdict file that does not match, is checked again."""
    _system(monkeypatch, tmp_path / "system", [other_ca.ca_file], [other_ca.ca_file])

    def fresh() -> str:
        return trust_store.load_system_trust(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))

    assert fresh() == "directory"
    monkeypatch.setattr(trust_store, "_VERDICTS", {})
    real_covers = trust_store._covers

    def not_again(*args):
        raise AssertionError("checked again")

    monkeypatch.setattr(trust_store, "_covers", not_again)
    assert fresh() == "directory"  # remembered: no certificate file read
    monkeypatch.setattr(trust_store, "_covers", real_covers)
    with open(tmp_path / "system" / "bundle.pem", "a") as bundle:  # a CA the directory lacks
        bundle.write(Path(server.ca_file).read_text())
    assert fresh() == "defaults"
    monkeypatch.setattr(trust_store, "_VERDICTS", {})
    Path(trust_store._verdict_path()).write_text("('another', 'key')\n1\n")
    assert fresh() == "defaults"  # a verdict for something else is not taken
