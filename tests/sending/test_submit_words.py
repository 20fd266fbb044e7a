"""The edge's words for every way a submission fails and every reason a connection
could not be secured (issue 13): each reason has its own sentence, the server's reply
code, enhanced code and words appear in it when the server spoke, everything is
sanitised plain text, and a record read back from disk (JSON) says the same."""

from __future__ import annotations

import json
import ssl
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuimail.core import outbox
from tuimail.core.connect import TLSRequiredError
from tuimail.core.errors import REASONS as _REASONS
from tuimail.core.errors import (
    SECURITY_REASONS,
    SecurityFailure,
    TimedOut,
    Unreachable,
    error_from_record,
    error_record,
)
from tuimail.core.net_errors import classify_transport
from tuimail.core.smtp import REASONS, SubmitError
from tuimail.core.smtp_errors import classify_reply
from tuimail.core.tls import ALPNMismatchError, CertificatePinError, tls_reason
from tuimail.words.describe import describe
from tuimail.words.failures import failure_words
from tuimail.words.outbox import (
    outbox_reason,
    refusal,
    refused_recipients,
    submit_error,
    submit_failure,
)
from tuimail.words.sent import sent_copy, sent_note

WHERE = {"host": "smtp.example.test", "port": 465}


def _reply(stage: str, code: int, text: str, reason: str = "reply") -> SubmitError:
    error = classify_reply(code, text, stage)
    return SubmitError("permanent", reason, error=error, stage=stage, data=dict(WHERE))


SUBMIT_CASES = {
    "reply": _reply("MAIL FROM", 550, "5.7.1 Sender rejected"),
    "unreachable": SubmitError(
        "temporary", "unreachable", error=Unreachable(protocol="smtp"), stage="connect", data=WHERE
    ),
    "security": SubmitError(
        "security",
        "security",
        error=SecurityFailure(reason="expired", data={"verify_code": 10}),
        stage="connect",
        data=WHERE,
    ),
    "lost": SubmitError("temporary", "lost", error=TimedOut(protocol="smtp"), stage="RCPT"),
    "no-mechanism": SubmitError("permanent", "no-mechanism", data={"offered": ["GSSAPI"]}),
    "no-login": SubmitError("permanent", "no-login", data=WHERE),
    "login-failed": SubmitError(
        "permanent", "login-failed", error=classify_reply(-1, "garbage", "AUTH")
    ),
    "token-rejected": _reply("AUTH", 535, "5.7.8 token expired", "token-rejected"),
    "sender-invalid": SubmitError(
        "permanent", "sender-invalid", data={"address": "a@b", "problem": "idna"}
    ),
    "recipients-refused": SubmitError(
        "permanent", "recipients-refused", refused={"x@example.org": "550 5.1.1 No such user"}
    ),
    "maybe-sent": SubmitError("maybe_sent", "maybe-sent"),
    "unexpected": SubmitError("temporary", "unexpected", data={"type": "KeyError"}),
}


def test_every_submit_reason_has_a_case() -> None:
    assert set(SUBMIT_CASES) == set(REASONS)


@pytest.mark.parametrize("reason", REASONS)
def test_every_submit_reason_has_its_own_sentence(reason: str) -> None:
    exc = SUBMIT_CASES[reason]
    text = submit_error(exc)
    assert text and "the last attempt failed" not in text, text
    others = {submit_error(e) for r, e in SUBMIT_CASES.items() if r != reason}
    assert text not in others
    assert describe(exc) == text  # a SubmitError that reaches the edge as such
    # The same words from the record as stored on disk (JSON round trip).
    assert submit_failure(json.loads(json.dumps(exc.record()))) == text


@pytest.mark.parametrize(
    ("stage", "code", "text", "expect"),
    [
        ("MAIL FROM", 553, "5.7.1 Sender not owned", "the server answered 553 5.7.1 Sender"),
        ("RCPT", 452, "4.2.2 Mailbox full", "the server answered 452 4.2.2 Mailbox full"),
        ("AUTH", 535, "5.7.8 Bad credentials", "the server refused the login (535 5.7.8"),
        ("AUTH", 504, "5.5.4 Unrecognized", "does not accept this login method (504 5.5.4"),
        ("STARTTLS", 454, "4.7.0 TLS not available", "refused STARTTLS (454 4.7.0"),
        ("end of data", 554, "5.6.0 Message rejected", "554 5.6.0 Message rejected at end"),
        ("greeting", -1, "HTTP/1.1 400", "is not SMTP"),
    ],
)
def test_a_reply_names_the_code_the_enhanced_code_and_the_words(stage, code, text, expect):
    said = submit_error(_reply(stage, code, text))
    assert expect in said, said


def test_the_outboxs_own_reasons_have_sentences() -> None:
    entry = outbox.OutboxEntry(id="1", account="a", sender="s", recipients=[])
    seen = set()
    for reason in (
        outbox.INTERRUPTED,
        outbox.UNREADABLE,
        outbox.ORPHAN,
        outbox.DEFERRED,
        outbox.PARTLY_REFUSED,
    ):
        entry.failed_because(reason, refused={"x@example.org": "450 4.2.1 later"})
        text = outbox_reason(entry)
        assert text and text not in seen, text
        seen.add(text)
    entry.failed_because(outbox.DEFERRED, refused={"x@example.org": "450 4.2.1 later"})
    assert "x@example.org: 450 4.2.1 later" in outbox_reason(entry)


SECURITY_DATA = {
    "untrusted": {"verify_code": 18, "library": "self-signed certificate"},
    "pin": {"expected": "ab" * 32, "actual": "cd" * 32},
    "alpn": {"wanted": "imap", "selected": "http/1.1"},
    "ca-file": {"path": "/etc/ca.pem", "problem": "missing", "label": "the ca_file"},
}


@pytest.mark.parametrize("reason", SECURITY_REASONS)
def test_every_security_reason_has_its_own_sentence(reason: str) -> None:
    error = SecurityFailure(reason=reason, data=SECURITY_DATA.get(reason), protocol="imap")
    text = describe(error)
    generic = describe(SecurityFailure())
    assert text and text != generic, text
    others = {
        describe(SecurityFailure(reason=r, data=SECURITY_DATA.get(r)))
        for r in SECURITY_REASONS
        if r != reason
    }
    assert text not in others
    assert str(error) == f"security: {reason}"  # no sentence made in core
    back = error_from_record(json.loads(json.dumps(error_record(error))))
    assert describe(back) == text


def test_the_pin_sentence_names_both_keys_and_a_refused_starttls_the_servers_words() -> None:
    pin = describe(SecurityFailure(reason="pin", data=SECURITY_DATA["pin"]))
    assert "ab" * 32 in pin and "cd" * 32 in pin and "not the one you chose to trust" in pin
    refused = SecurityFailure(
        reason="starttls-refused", protocol="imap", code="BAD", server_text="not now \x1b[2J"
    )
    text = describe(refused)
    assert "refused STARTTLS" in text and "not now" in text and "\x1b" not in text


@pytest.mark.parametrize(
    ("code", "reason"),
    [(10, "expired"), (9, "not-yet-valid"), (18, "untrusted"), (20, "untrusted"), (62, "hostname")],
)
def test_the_tls_classifier_decides_by_the_verify_code(code: int, reason: str) -> None:
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_code, exc.verify_message = code, "words that say something else"
    assert tls_reason(exc)[0] == reason
    error = classify_transport(exc, "smtp", "h")
    assert isinstance(error, SecurityFailure) and error.reason == reason
    assert error.data["verify_code"] == code


def test_the_tls_classifier_keeps_the_pins_and_the_protocols() -> None:
    pin = CertificatePinError("x", actual="cd" * 32, expected="ab" * 32)
    assert tls_reason(pin) == ("pin", {"expected": "ab" * 32, "actual": "cd" * 32})
    alpn = ALPNMismatchError("x", wanted="imap", selected="smtp")
    assert tls_reason(alpn) == ("alpn", {"wanted": "imap", "selected": "smtp"})
    missing = TLSRequiredError("x", reason="starttls-missing")
    assert classify_transport(missing).reason == "starttls-missing"


@given(st.text(max_size=200), st.integers(min_value=200, max_value=599))
def test_any_servers_words_come_out_as_one_safe_line(text: str, code: int) -> None:
    said = submit_error(_reply("RCPT", code, text))
    assert said and not any(unicodedata.category(c) == "Cc" for c in said), repr(said)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "reason": st.sampled_from([*REASONS, "interrupted", "partly-refused"]) | _JSON,
            "stage": _JSON,
            "data": _JSON,
            "refused": _JSON,
            "error": st.fixed_dictionaries(
                {}, optional={k: _JSON for k in ("kind", "code", "server_text", "data", "reason")}
            )
            | _JSON,
        },
    )
)
def test_any_failure_record_read_from_disk_gets_a_sentence(record: dict) -> None:
    """An outbox state file edited or damaged by hand never makes the listing fail."""
    entry = outbox.OutboxEntry(id="1", account="a", sender="s", recipients=[], failure=record)
    text = outbox_reason(entry)
    assert text and not any(unicodedata.category(c) == "Cc" for c in text)


@given(
    refused=_JSON,
    copy=st.fixed_dictionaries(
        {},
        optional={
            "outcome": st.sampled_from(["saved", "off", "local-only", "failed"]) | _JSON,
            "folder": _JSON,
            "step": st.sampled_from(["login", "store", "unexpected"]) | _JSON,
            "error": st.fixed_dictionaries(
                {}, optional={k: _JSON for k in ("kind", "code", "reason", "data", "host")}
            )
            | _JSON,
            "detail": _JSON,
        },
    )
    | _JSON,
)
def test_any_refusal_or_copy_record_read_from_disk_gets_words(refused, copy) -> None:
    """Refusals and the Sent copy are data on disk: whatever a damaged or hand-edited
    state file holds, `tuimail outbox`, `--json` and the app still get one safe line."""
    entry = outbox.OutboxEntry(id="1", account="a", sender="s", recipients=[])
    entry.refused, entry.copy = refused, copy
    for text in (refused_recipients(entry), sent_copy(entry), sent_note(entry)):
        assert not any(unicodedata.category(c) == "Cc" for c in text), repr(text)
    if isinstance(refused, dict):
        for value in refused.values():
            assert "\n" not in refusal(value)


@given(
    reason=st.sampled_from(sorted(_REASONS)) | st.text(max_size=12),
    data=_JSON,
    code=_JSON,
    kind=st.sampled_from(["refused", "busy", "protocol", "connection-lost", "authentication"]),
)
def test_any_typed_error_record_gets_one_safe_line(reason, data, code, kind) -> None:
    """A stored error record (outbox, drafts) with any reason and data is worded."""
    record = {"kind": kind, "reason": reason, "data": data, "code": code, "protocol": "imap"}
    text = failure_words(error_from_record(record))
    assert text and not any(unicodedata.category(c) == "Cc" for c in text), repr(text)


def test_every_reason_a_stored_error_can_have_is_documented() -> None:
    """docs/json.md lists every reason an outbox `failure.error` may carry."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "json.md").read_text("utf-8")
    missing = [r for r in (*_REASONS, *SECURITY_REASONS) if f"`{r}`" not in doc]
    assert not missing, missing
