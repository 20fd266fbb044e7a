"""One table of TLS sentences (issue 13): the doctor's finding for a TLS failure is the
typed SecurityFailure the TLS classifier decided, worded at the edge by tuimail.words,
so `tuimail doctor` and every other command say the same failure in the same words.
Core keeps no phrase table of its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doctor.conftest import make_account
from tuimail.core.connect import open_imap
from tuimail.core.doctor import CheckResult
from tuimail.core.doctor.server_checks import _lost, check_server
from tuimail.core.errors import SECURITY_REASONS, SecurityFailure
from tuimail.core.secrets import Secret
from tuimail.doctor_words import render_json, render_text, seen
from tuimail.words.describe import describe

DATA = {
    "untrusted": {"verify_code": 18},
    "pin": {"expected": "ab" * 32, "actual": "cd" * 32},
    "alpn": {"wanted": "imap", "selected": "smtp"},
    "ca-file": {"path": "/etc/ca.pem", "problem": "missing"},
}


def _finding(reason: str, data: dict | None = None, said: str | None = None) -> CheckResult:
    failure = SecurityFailure(reason=reason, data=data, server_text=said)
    return CheckResult("tls", "Incoming", "failure", "", "fix it", 0.1, failure=failure)


@pytest.mark.parametrize("reason", SECURITY_REASONS)
def test_each_reason_reads_as_the_cli_says_it_and_differs_from_the_others(reason) -> None:
    result = _finding(reason, DATA.get(reason))
    others = {seen(_finding(r, DATA.get(r))) for r in SECURITY_REASONS if r != reason}
    assert seen(result) == describe(result.failure)
    assert seen(result) and seen(result) not in others, seen(result)


def test_the_reports_show_the_worded_finding_sanitised() -> None:
    result = _finding("handshake", {"library": "ALERT\x1b[2J"}, said="no\x1b[31m")
    text, data = render_text([result]), render_json([result])
    assert seen(result) in text and "ALERT" in text and "\x1b" not in text
    assert "ALERT" in data and "\\u001b" not in data and "failure" in data


def test_a_security_failure_met_mid_conversation_is_worded_by_the_one_table() -> None:
    """A SecurityFailure the conversation ran into (e.g. IMAP [PRIVACYREQUIRED]) is a
    finding worded like everywhere else, not the bare kind "security"."""
    error = SecurityFailure(protocol="imap", code="PRIVACYREQUIRED", server_text="use TLS")
    line = _lost("Incoming", "login", error, 0.1)
    assert line.status == "failure" and line.failure is error
    assert seen(line) == describe(error) and "use TLS" in seen(line), seen(line)
    assert "[PRIVACYREQUIRED]" in render_text([line])


def test_a_real_bad_certificate_reads_the_same_in_the_doctor_and_the_cli(
    bad_cert_server,
) -> None:
    """Over a real socket: the doctor's TLS line and the sentence any command prints for
    the same refused connection (tuimail.words.describe.describe of the runtime's error) agree."""
    user = bad_cert_server.new_user()
    account = make_account(bad_cert_server, user)
    tls = next(
        r for r in check_server("imap", account, Secret(user.password), 5) if r.name == "tls"
    )
    with pytest.raises(Exception) as raised:
        open_imap(account.incoming, account.ca_file, 5).logout()
    assert tls.status == "failure" and isinstance(tls.failure, SecurityFailure)
    assert seen(tls) == describe(raised.value), (seen(tls), describe(raised.value))


def test_the_doctor_in_core_words_no_tls_failure_and_renders_no_report() -> None:
    doctor = Path(__file__).resolve().parents[2] / "tuimail" / "core" / "doctor"
    sources = {p.name: p.read_text("utf-8") for p in doctor.glob("*.py")}
    assert not [n for n, s in sources.items() if "tls_findings" in s or "def render_" in s]
