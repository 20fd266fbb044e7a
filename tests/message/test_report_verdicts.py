"""Authentication-Results: parsed (RFC 8601), the provider's trusted, the rest claims,
explained in plain words; warnings about the sender; X-Spam explained."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.report import build_report, report_text
from tuimail.core.report.authres import parse_auth_results
from tuimail.core.sanitize import is_safe

from .report_helpers import LMTP, RELAY, SUBMISSION, message

PROVIDER_AR = (
    "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=alice@sender.example;"
    " dkim=pass header.d=sender.example header.s=s1; dmarc=pass (p=reject) "
    "header.from=sender.example"
)


def test_rfc8601_results_are_read_with_properties_and_comments() -> None:
    authserv, instance, verdicts, ok = parse_auth_results(
        'mx.example.org 1; spf=fail (sender not allowed) smtp.mailfrom="a@b.example";\r\n'
        ' dkim=pass reason="good sig" header.d=b.example header.s=sel;'
        " dmarc=fail (p=QUARANTINE sp=NONE) header.from=b.example"
    )
    assert (authserv, instance, ok) == ("mx.example.org", None, True)
    spf, dkim, dmarc = verdicts
    assert (spf.method, spf.result, spf.comment) == ("spf", "fail", "sender not allowed")
    assert spf.prop("smtp.mailfrom") == "a@b.example"
    assert (dkim.reason, dkim.prop("header.d"), dkim.prop("header.s")) == (
        "good sig",
        "b.example",
        "sel",
    )
    assert dmarc.result == "fail" and "p=QUARANTINE" in dmarc.comment


def test_arc_authentication_results_carry_their_instance() -> None:
    authserv, instance, verdicts, _ = parse_auth_results(
        "i=2; lists.example; spf=pass smtp.mailfrom=x.example"
    )
    assert (authserv, instance, verdicts[0].result) == ("lists.example", 2, "pass")


def test_results_without_an_authserv_id_are_read_but_marked_not_understood() -> None:
    authserv, _, verdicts, ok = parse_auth_results("spf=none (sender IP is ) smtp.mailfrom=<>;")
    assert authserv == "" and verdicts[0].method == "spf" and not ok


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_header_value_parses_without_error_into_safe_text(value: str) -> None:
    authserv, _, verdicts, _ = parse_auth_results(value)
    assert is_safe(authserv)
    for v in verdicts:
        assert all(is_safe(x) for x in (v.method, v.result, v.reason, v.comment))
        assert all(is_safe(a) and is_safe(b) for a, b in v.properties)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [PROVIDER_AR, LMTP, RELAY, SUBMISSION, "Received: x", "X-Spam-Status: Yes, score=9"]
        ),
        max_size=12,
    ),
    st.text(max_size=80),
)
def test_any_mix_of_trace_headers_builds_a_report(headers: list[str], junk: str) -> None:
    line = "Received: " + " ".join(junk.split())
    report = build_report(message(*headers, line))
    assert len(report.hops) + report.omitted_hops == report.received_count
    assert is_safe(report_text(report), multiline=True)


def test_the_providers_results_are_trusted_and_explained() -> None:
    report = build_report(message(LMTP, PROVIDER_AR, RELAY, SUBMISSION))
    assert [a.trusted for a in report.auth_results] == [True]
    text = report_text(report)
    assert "SPF pass" in text and "sender.example" in text
    assert "DKIM signature of sender.example (selector s1): pass" in text
    assert "DMARC pass" in text and "'reject'" in text
    assert "This message really comes from sender.example" in text


def test_results_from_before_the_provider_are_claims_not_verdicts() -> None:
    earlier = "Authentication-Results: smtp.sender.example; dmarc=pass header.from=bank.example"
    report = build_report(message(LMTP, RELAY, earlier, SUBMISSION))
    (claim,) = report.auth_results
    assert not claim.trusted
    text = report_text(report)
    assert "claim of an earlier server, not verified" in text
    assert "DMARC pass" not in text and "not verified here" in text


def test_a_forged_result_below_the_entry_hop_with_a_foreign_name_is_a_claim() -> None:
    forged = "Authentication-Results: mx.bank.example; dkim=pass header.d=bank.example"
    report = build_report(message(LMTP, PROVIDER_AR, RELAY, forged, SUBMISSION))
    assert [a.trusted for a in report.auth_results] == [True, False]


def test_the_accounts_domain_makes_its_results_trusted_wherever_they_sit() -> None:
    # Gmail writes its Authentication-Results below its own Received header.
    report = build_report(
        message(LMTP, RELAY, PROVIDER_AR, SUBMISSION), own_domains=("example.org",)
    )
    assert report.auth_results[0].trusted


def test_dmarc_failure_of_the_from_domain_is_a_warning_with_its_policy() -> None:
    fail = (
        "Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=x@mailer.example;"
        " dkim=pass header.d=mailer.example; dmarc=fail (p=REJECT) header.from=bank.example"
    )
    report = build_report(message(LMTP, fail, RELAY, "From: Bank <service@bank.example>"))
    text = report_text(report)
    assert "The From address cannot be trusted" in text
    assert "The From domain bank.example fails DMARC (its policy: reject)" in text
    assert "owner asks receivers to refuse" in text


def test_spf_softfail_and_a_broken_signature_are_explained() -> None:
    ar = (
        "Authentication-Results: mx.example.org; spf=softfail smtp.mailfrom=a@sender.example;"
        " dkim=fail header.d=sender.example header.s=s1"
    )
    text = report_text(build_report(message(LMTP, ar, RELAY)))
    assert "probably not allowed" in text
    assert "changed after sender.example signed it" in text
    assert "Nothing confirms who sent this message" in text


def test_a_display_name_that_is_another_address_is_a_warning() -> None:
    spoof = 'From: "ceo@bigcorp.example" <mallory@evil.example>'
    text = report_text(build_report(message(RELAY, spoof)))
    assert "looks like an address at bigcorp.example" in text


def test_a_brand_in_the_display_name_that_is_not_the_sender_is_a_warning() -> None:
    text = report_text(build_report(message(RELAY, "From: PayPal Service <help@evil.example>")))
    assert "names PayPal, but the message is from evil.example, not paypal.com" in text
    fine = report_text(build_report(message(RELAY, "From: PayPal <service@paypal.com>")))
    assert "names PayPal" not in fine


def test_reply_to_another_domain_is_a_warning() -> None:
    text = report_text(build_report(message(RELAY, "Reply-To: collect@elsewhere.example")))
    assert "Replies go to elsewhere.example" in text


def test_punycode_and_look_alike_sender_domains_are_warnings() -> None:
    cyrillic = "xn--pypal-4ve.com"  # "pаypal.com" with a Cyrillic a
    text = report_text(build_report(message(RELAY, f"From: <service@{cyrillic}>")))
    assert "pаypal.com" in text and "looks like paypal.com" in text
    digits = report_text(build_report(message(RELAY, "From: Bob <bob@examp1e.org>")))
    assert "examp1e.org looks like example.org" in digits  # the recipient's own domain


def test_spam_headers_are_explained_as_claims() -> None:
    spam = (
        "X-Spam-Status: Yes, score=7.2 required=5.0 tests=BAYES_99,RDNS_NONE,\r\n"
        "\tSPF_SOFTFAIL autolearn=no version=3.4.6"
    )
    report = build_report(message(spam, RELAY))
    assert report.spam is not None and report.spam.score == 7.2 and report.spam.flagged
    text = report_text(report)
    assert "7.2 points; 5 points count as spam, so it was marked as spam" in text
    assert "RDNS_NONE: the sending server's address has no host name" in text
    assert "SPF_SOFTFAIL" in text and "not a verified result" in text


def test_absurd_numbers_of_results_and_huge_values_are_bounded() -> None:
    results = build_report(message(LMTP, *[PROVIDER_AR] * 1000, RELAY))
    assert len(results.auth_results) == 50 and len(results.hops) == 2
    spam = [f"X-Spam-Status: Yes, score={i} tests=" + ",".join(["R"] * 2000) for i in range(30)]
    flagged = build_report(message(*spam, RELAY)).spam
    assert flagged is not None and len(flagged.tests) <= 40 and len(flagged.headers) <= 20
    huge = build_report(message(RELAY, 'From: "' + "PayPal " * 20000 + '" <x@evil.example>'))
    assert len(report_text(huge)) < 5000
    # Past the header limit (256 KiB) nothing more is read, but Received headers are counted.
    past = build_report(message(LMTP, *[PROVIDER_AR] * 3000, RELAY))
    assert past.received_count == 2 and len(past.hops) + past.omitted_hops == 2
    for report in (results, huge, past):
        assert is_safe(report_text(report), multiline=True)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.text(max_size=200), st.text(max_size=100))
def test_any_sender_headers_give_a_safe_report(from_value: str, reply_to: str, date: str) -> None:
    headers = [
        "From: " + " ".join(from_value.split()),
        "Reply-To: " + " ".join(reply_to.split()),
        "Date: " + " ".join(date.split()),
        PROVIDER_AR,
        RELAY,
    ]
    report = build_report(message(*headers))
    assert is_safe(report_text(report), multiline=True)
    assert all(is_safe(w.text) for w in report.warnings)


def test_arc_pass_tells_what_the_first_forwarder_saw() -> None:
    provider = (
        "Authentication-Results: mx.example.org; dkim=fail header.d=sender.example;"
        " arc=pass (i=2); dmarc=fail header.from=sender.example"
    )
    seal2 = "ARC-Authentication-Results: i=2; lists.example; dkim=pass header.d=sender.example"
    seal1 = (
        "ARC-Authentication-Results: i=1; mx.lists.example; spf=pass smtp.mailfrom=a@sender.example;"
        " dkim=pass header.d=sender.example; dmarc=pass header.from=sender.example"
    )
    text = report_text(build_report(message(LMTP, provider, RELAY, seal2, seal1, SUBMISSION)))
    assert "ARC pass: a forwarder on the way" in text
    assert "The first of them (mx.lists.example) saw: spf=pass, dkim=pass, dmarc=pass." in text
    assert "ARC-Authentication-Results i=1 by mx.lists.example (claim of an earlier server" in text
