"""One table of TLS sentences for detection (issue 13): a probe's and a setup login
check's failure to secure the connection is the typed SecurityFailure, worded at the
edge (tuimail.detect_words with tuimail.words), so `tuimail detect`, `account add`,
`login` and the wizard say a refused certificate in the very words every other command
uses for it. Over real sockets against a server with a bad certificate."""

from __future__ import annotations

import gc

import pytest

from tests.accounts.helpers import options
from testserver.server import MailServer
from tuimail import detect_words
from tuimail.core.config import Account, ServerSettings
from tuimail.core.connect import open_imap
from tuimail.core.discovery.detect import Detection, detect
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


def test_a_weaker_choice_says_why_the_stronger_one_failed(imap_smtp_server) -> None:
    """Over real sockets: TLS silent, STARTTLS chosen; the confirmation names the
    stronger probe's own failure, worded at the edge (here not a TLS one: unchanged)."""
    s = imap_smtp_server
    s.faults.add(protocol="imap", kind="silent", port="tls")
    result = detect("alice@example.test", options(s, timeout=1.0))
    assert result.incoming is not None and result.incoming.candidate.security == "starttls"
    assert list(result.weaker) == [0] and result.weaker[0][1].candidate.security == "tls"
    words = detect_words.confirm(result)
    assert words == result.confirm and "did not answer in time" in words[0], words


def test_a_weaker_choice_words_a_stronger_tls_failure_as_the_cli_does(bad_cert_server) -> None:
    s = bad_cert_server
    port = s.ports.imap_tls
    failed = probe(
        Candidate("imap", "localhost", port, "tls", "srv"), Resolver(), timeout=5, ca_file=s.ca_file
    )
    said = "The incoming server could only be reached with STARTTLS on x:143; the stronger TLS"
    detection = Detection("a@example.test", confirm=[f"{said} ({failed.detail})."])
    detection.weaker[0] = (said, failed)
    with pytest.raises(Exception) as raised:
        open_imap(ServerSettings("localhost", port, "tls"), s.ca_file, 5).logout()
    assert detect_words.confirm(detection) == [f"{said} ({describe(raised.value)})."]
    assert "TLS:" in detection.confirm[0]  # core's plain detail, never shown as is
