"""One table of TLS sentences for detection (issue 13): a probe's and a setup login
check's failure to secure the connection is the typed SecurityFailure, worded at the
edge (tuimail.detect_words with tuimail.words), so `tuimail detect`, `account add`,
`login` and the wizard say a refused certificate in the very words every other command
uses for it. Over real sockets against a server with a bad certificate."""

from __future__ import annotations

import gc
import socket

import pytest

from tests.accounts.helpers import LOCAL, options
from testserver.server import MailServer
from tuimail import detect_words
from tuimail.core.config import Account, ServerSettings
from tuimail.core.connect import open_imap
from tuimail.core.discovery.detect import Detection, detect
from tuimail.core.discovery.findings import Confirm, ConfirmKind
from tuimail.core.discovery.model import Candidate
from tuimail.core.discovery.probe import probe
from tuimail.core.discovery.resolver import Resolver
from tuimail.core.discovery.verify import verify_account
from tuimail.core.errors import (
    AuthenticationFailed,
    ProtocolViolation,
    Refused,
    SecurityFailure,
    TimedOut,
    Unreachable,
)
from tuimail.core.secrets import Secret
from tuimail.words.describe import describe
from tuimail.words.plain import server_said


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
    stronger probe's own failure, worded at the edge in `describe`'s words for it."""
    s = imap_smtp_server
    s.faults.add(protocol="imap", kind="silent", port="tls")
    result = detect("alice@example.test", options(s, timeout=1.0))
    assert result.incoming is not None and result.incoming.candidate.security == "starttls"
    [weaker] = result.confirm
    assert weaker.kind is ConfirmKind.WEAKER and weaker.stronger.candidate.security == "tls"
    words = detect_words.confirm(result)
    said = describe(weaker.stronger.failure)
    assert said == "the mail server did not answer in time", said
    assert words[0].endswith(f"failed ({said})."), words


def test_a_weaker_choice_words_a_stronger_tls_failure_as_the_cli_does(bad_cert_server) -> None:
    s = bad_cert_server
    port = s.ports.imap_tls
    failed = probe(
        Candidate("imap", "localhost", port, "tls", "srv"), Resolver(), timeout=5, ca_file=s.ca_file
    )
    chosen = Candidate("imap", "x", 143, "starttls", "srv")
    item = Confirm(ConfirmKind.WEAKER, "incoming", chosen, stronger=failed)
    detection = Detection("a@example.test", confirm=[item])
    with pytest.raises(Exception) as raised:
        open_imap(ServerSettings("localhost", port, "tls"), s.ca_file, 5).logout()
    said = (
        "The incoming server could only be reached with STARTTLS on x:143; the stronger "
        f"TLS on localhost:{port} failed"
    )
    assert detect_words.confirm(detection) == [f"{said} ({describe(raised.value)})."]
    assert "TLS:" in failed.detail  # core's plain detail, never shown as is


def _runtime_words(settings: ServerSettings, ca_file: str, timeout: float = 1) -> str:
    """What the runtime's own connection says for the same server (words.describe)."""
    with pytest.raises(Exception) as raised:
        open_imap(settings, ca_file, timeout).logout()
    return describe(raised.value)


def _probe(s, port: int, host: str = "localhost", timeout: float = 1):
    resolver = Resolver(f"127.0.0.1:{s.dns_port}") if host != "localhost" else Resolver()
    candidate = Candidate("imap", host, port, "tls", "srv")
    return probe(candidate, resolver, timeout=timeout, ca_file=s.ca_file)


def test_a_silent_or_refused_port_reads_as_the_runtime_says_it(imap_smtp_server) -> None:
    """Over real sockets: a port that never answers and one nobody listens on are typed
    (TimedOut, Unreachable) where the probe meets them and read in detection exactly as
    the runtime's connection to the same port reads in `words.describe`."""
    s = imap_smtp_server
    s.faults.add(protocol="imap", kind="silent", port="tls")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    for port, kind in ((s.ports.imap_tls, TimedOut), (closed, Unreachable)):
        result = _probe(s, port)
        said = _runtime_words(ServerSettings("localhost", port, "tls"), s.ca_file)
        assert not result.ok and isinstance(result.failure, kind), result.failure
        assert detect_words.probe(result) == said == describe(result.failure), said
        assert detect_words.probe_dict(result)["detail"] == said
        assert ":" not in said.split(" ")[0]  # not core's plain "timeout: ..." detail


def test_an_unknown_host_and_a_server_that_is_not_imap_are_typed(imap_smtp_server) -> None:
    """Over real sockets: a host the name server does not know is Unreachable naming the
    host; an SMTP server probed as IMAP is a ProtocolViolation with its greeting as the
    server's words; each reads as `words.describe` says that error."""
    s = imap_smtp_server
    unknown = _probe(s, s.ports.imap_tls, host="nosuch.example.test")
    assert isinstance(unknown.failure, Unreachable)
    assert detect_words.probe(unknown) == describe(unknown.failure)
    assert "nosuch.example.test does not exist" in detect_words.probe(unknown)
    not_imap = _probe(s, s.ports.smtp_tls)
    assert isinstance(not_imap.failure, ProtocolViolation), not_imap.failure
    said = detect_words.probe(not_imap)
    assert said == describe(not_imap.failure) and said.startswith("this is not an IMAP server")
    assert "220" in said  # the server's own greeting, as its words


def test_a_wrong_password_at_setup_keeps_the_servers_refusal(imap_smtp_server) -> None:
    """Over real sockets: setup verification with a wrong password keeps each server's
    AuthenticationFailed on the LoginCheck; the sentence carries `words.describe`'s words
    for it (code and server text included)."""
    s = imap_smtp_server
    user = s.new_user()
    account = Account(
        name="t",
        email=user.email,
        username=user.login,
        incoming=ServerSettings("localhost", s.ports.imap_tls, "tls"),
        outgoing=ServerSettings("localhost", s.ports.smtp_tls, "tls"),
        protocol="imap",
        ca_file=s.ca_file,
    )
    checks = verify_account(account, Secret("wrong password"), timeout=5, ca_file=s.ca_file)
    for check in checks:
        assert not check.ok and check.rejected
        assert isinstance(check.failure, AuthenticationFailed), check.failure
        text = detect_words.login(check)
        # One sentence: the server, the login, the server's code and words, each once.
        said = server_said(check.failure)
        server = f"{check.protocol.upper()} server localhost"
        assert said and text == (
            f"The {server} rejected the login for {user.login} ({said}): "
            "check the user name and password."
        )
        assert text.count(user.login) == 1 and text.count("Authentication") == 1, text


def test_autoconfig_look_ups_are_typed_and_read_as_describe_says(imap_smtp_server) -> None:
    """Over real sockets (HTTPS, the test server's DNS): an autoconfig URL answering
    HTTP 503 is Refused with the status as its code, one whose host has no address is
    Unreachable naming it; detect's progress lines and --json read `words.describe`."""
    s = imap_smtp_server
    s.set_dns({"autoconfig.example.test": LOCAL})
    s.set_autoconfig("example.test", "<clientConfig/>", status=503)
    result = detect("alice@example.test", options(s, timeout=1.0, total_timeout=5.0))
    looked = {e.target: e for e in result.lookups() if e.stage == "autoconfig"}
    status = next(e for url, e in looked.items() if "//autoconfig.example.test" in url)
    missing = next(e for url, e in looked.items() if "//example.test" in url)
    assert isinstance(status.failure, Refused) and status.failure.code == 503
    assert isinstance(missing.failure, Unreachable)
    lookups = {x["target"]: x["detail"] for x in detect_words.detection_dict(result)["lookups"]}
    for event in (status, missing):
        said = describe(event.failure)
        assert detect_words.event(event) == said == lookups[event.target], said
    assert describe(status.failure).startswith("the web server has no autoconfig document: 503")
    assert "example.test does not exist" in lookups[missing.target]
