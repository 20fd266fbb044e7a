"""The doctor's and detection's words for a TLS failure come from the typed reason the
TLS classifier decided (one function, tuimail.core.tls_findings, left for detection only), never from the text of
an exception: each reason has its own phrase, and its data (the pins, the verify code's
library words) is shown as data."""

from __future__ import annotations

import pytest

from tuimail.core.errors import SECURITY_REASONS
from tuimail.core.tls_findings import finding

DATA = {
    "untrusted": {"verify_code": 18},
    "pin": {"expected": "ab" * 32, "actual": "cd" * 32},
    "alpn": {"wanted": "imap", "selected": "smtp"},
    "ca-file": {"path": "/etc/ca.pem", "problem": "missing"},
}


@pytest.mark.parametrize("reason", SECURITY_REASONS)
def test_every_reason_has_its_own_finding(reason: str) -> None:
    text = finding(reason, DATA.get(reason))
    others = {finding(r, DATA.get(r)) for r in SECURITY_REASONS if r != reason}
    assert text and text not in others, text


def test_a_findings_data_is_shown_sanitised() -> None:
    pin = finding("pin", DATA["pin"])
    assert "ab" * 32 in pin and "cd" * 32 in pin
    shown = finding("handshake", {"library": "ALERT\x1b[2J"})
    assert "ALERT" in shown and "\x1b" not in shown
