"""One table of TLS sentences for detection (issue 13): a probe's and a setup login
check's failure to secure the connection is the typed SecurityFailure, worded at the
edge (tuimail.detect_words with tuimail.words), so `tuimail detect`, `account add`,
`login` and the wizard say a refused certificate in the very words every other command
uses for it. Over real sockets against a server with a bad certificate."""

from __future__ import annotations

import gc

import pytest

from testserver.server import MailServer
from tuimail import detect_words
from tuimail.core.config import Account, ServerSettings
from tuimail.core.connect import open_imap
from tuimail.core.discovery.model import Candidate
from tuimail.core.discovery.probe import probe
from tuimail.core.discovery.resolver import Resolver
from tuimail.core.discovery.verify import verify_account
from tuimail.core.errors import SecurityFailure
from tuimail.core.secrets import Secret
from tuimail.words import describe


@pytest.fixture(params=["expired", "wrong_host"])
def bad_cert_server(request: pytest.FixtureRequest, test_ca):
    with MailServer(ca=test_ca, cert=request.param) as server:
        yield server
    gc.collect()  # finalizers of failed handshakes (see tests/accounts/conftest.py)


def test_a_bad_certificate_reads_the_same_in_detection_and_the_cli(bad_cert_server) -> None:
    s = bad_cert_server
    port = s.ports.imap_tls
    result = probe(
        Candidate("imap", "localhost", port, "tls", "srv"), Resolver(), timeout=5, ca_file=s.ca_file
    )
    with pytest.raises(Exception) as raised:
        open_imap(ServerSettings("localhost", port, "tls"), s.ca_file, 5).logout()
    said = describe(raised.value)
    assert not result.ok and isinstance(result.failure, SecurityFailure)
    assert detect_words.probe(result) == said, (detect_words.probe(result), said)
    assert "certificate" in said and "TLS:" not in said

    user = s.new_user()
    account = Account(
        name="t",
        email=user.email,
        username=user.login,
        incoming=ServerSettings("localhost", port, "tls"),
        outgoing=ServerSettings("localhost", s.ports.smtp_tls, "tls"),
        protocol="imap",
        ca_file=s.ca_file,
    )
    checks = verify_account(account, Secret(user.password), timeout=5, ca_file=s.ca_file)
    assert checks and all(not c.ok and isinstance(c.failure, SecurityFailure) for c in checks)
    for check in checks:
        assert said in detect_words.login(check), detect_words.login(check)
