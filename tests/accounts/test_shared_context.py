"""The TLS context of mail connections is built once per process and reused (issue 19:
loading the system trust store costs ~50 ms of CPU per context, holding the GIL, which
the app's event loop felt on every new connection) without weakening anything: a changed
ca_file gets a new context, an unreadable one still fails every time, and the pin, ALPN
and verification still hold on the shared context."""

from __future__ import annotations

import os
import shutil
import ssl

import pytest

from tuimail.core import tls
from tuimail.core.account import ServerSettings
from tuimail.core.connect import TLSRequiredError, open_imap
from tuimail.core.tls import CAFileError, CertificatePinError, shared_mail_context


def test_connections_share_one_context_and_still_verify(imap_pop3_server) -> None:
    server = imap_pop3_server
    settings = ServerSettings("localhost", server.ports.imap_tls, "tls")
    first = open_imap(settings, server.ca_file, 10)
    second = open_imap(settings, server.ca_file, 10)
    try:
        assert first.socket().context is second.socket().context
        assert first.socket().selected_alpn_protocol() == "imap"
    finally:
        first.logout()
        second.logout()
    shared = shared_mail_context("imap", "tls", server.ca_file)
    assert shared.verify_mode.name == "CERT_REQUIRED" and shared.check_hostname
    assert shared_mail_context("pop3", "tls", server.ca_file) is not shared  # its ALPN
    assert shared_mail_context("imap", "starttls", server.ca_file) is not shared
    # No ca_file: the system's trust store alone, so the test CA is not trusted.
    with pytest.raises(TLSRequiredError) as refused:
        open_imap(settings, None, 10)
    assert isinstance(refused.value.__cause__, ssl.SSLCertVerificationError)


def test_a_changed_ca_file_gets_a_new_context(imap_pop3_server, tmp_path) -> None:
    ca = tmp_path / "ca.pem"
    shutil.copy(imap_pop3_server.ca_file, ca)
    before = shared_mail_context("imap", "tls", str(ca))
    assert shared_mail_context("imap", "tls", str(ca)) is before
    ca.write_text(ca.read_text() + "\n")
    os.utime(ca, ns=(1, 1))
    assert shared_mail_context("imap", "tls", str(ca)) is not before


def test_an_unreadable_ca_file_fails_every_time(tmp_path) -> None:
    missing = str(tmp_path / "nope.pem")
    for _ in range(2):
        with pytest.raises(CAFileError, match="does not exist"):
            shared_mail_context("imap", "tls", missing)
    assert not any(key[1] == missing for key in tls._SHARED)


def test_a_wrong_pin_still_fails_on_the_shared_context(imap_pop3_server) -> None:
    server = imap_pop3_server
    settings = ServerSettings("localhost", server.ports.imap_tls, "tls", pinned_sha256="00" * 32)
    for _ in range(2):
        with pytest.raises(TLSRequiredError) as failed:
            open_imap(settings, None, 10)
        assert isinstance(failed.value.__cause__, CertificatePinError)
