"""tuimail.core.server_alerts: which response lines are alerts, and what of them is kept
(untrusted input: bounded, sanitised, never a crash)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tuimail.core import server_alerts
from tuimail.core.sanitize import is_safe


def test_untagged_and_tagged_ok_alerts_are_alerts() -> None:
    assert server_alerts.alert_text(b"* OK [ALERT] over quota") == "over quota"
    assert server_alerts.alert_text(b"* NO [ALERT] disk full") == "disk full"
    assert server_alerts.alert_text(b"A0002 OK [ALERT] expires soon") == "expires soon"
    assert server_alerts.alert_text(b"* BYE [ALERT] going down") == "going down"


def test_a_tagged_refusal_is_its_errors_text_not_an_alert() -> None:
    assert server_alerts.alert_text(b"A0002 NO [ALERT] suspended") is None
    assert server_alerts.alert_text(b"A0002 BAD [ALERT] suspended") is None


def test_other_lines_are_not_alerts() -> None:
    for line in (b"* OK [UIDNEXT 2] ok", b"* 1 FETCH (FLAGS ())", b"* OK ready [ALERT] x"):
        assert server_alerts.alert_text(line) is None


def test_an_empty_alert_still_says_something() -> None:
    assert server_alerts.alert_text(b"* OK [ALERT]")


def test_the_same_alert_is_kept_once_and_distinct_ones_are_bounded() -> None:
    server_alerts.forget("unit")
    for n in range(50):
        server_alerts.heard("unit", "same")
        server_alerts.heard("unit", f"other {n}")
    kept = server_alerts.take("unit")
    assert kept[0] == "same" and len(kept) == server_alerts.MAX_PER_ACCOUNT
    assert server_alerts.take("unit") == []  # each handed out once
    server_alerts.forget("unit")


@given(st.binary(max_size=5000))
def test_any_alert_text_is_bounded_and_safe(tail: bytes) -> None:
    text = server_alerts.alert_text(b"* OK [ALERT] " + tail)
    assert text is not None
    assert len(text) <= server_alerts.MAX_CHARS
    assert is_safe(text)
