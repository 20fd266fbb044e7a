"""The delivery report's route: hops oldest first, protocols, delays, nothing dropped."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.report import build_report, report_text
from tuimail.core.report.received import MAX_HOPS, parse_hops
from tuimail.core.sanitize import is_safe

from .report_helpers import LMTP, RELAY, SUBMISSION, message


def test_hops_come_oldest_first_with_hosts_addresses_and_protocols() -> None:
    report = build_report(message(LMTP, RELAY, SUBMISSION))
    assert [h.number for h in report.hops] == [1, 2, 3]
    first, relay, lmtp = report.hops
    assert (first.from_address, first.by_host, first.protocol) == (
        "203.0.113.5",
        "smtp.sender.example",
        "ESMTPSA",
    )
    assert first.encrypted is True and first.authenticated is True
    assert (relay.from_host, relay.from_address, relay.by_host) == (
        "smtp.sender.example",
        "198.51.100.7",
        "mx.example.org",
    )
    assert relay.encrypted is True and relay.authenticated is False
    assert lmtp.protocol == "LMTP" and lmtp.local
    assert [h.delay for h in report.hops] == [None, 3.0, 1.0]
    assert report.total_seconds == 4.0


def test_plain_smtp_between_servers_is_pointed_out() -> None:
    plain = RELAY.replace("ESMTPS", "ESMTP")
    report = build_report(message(plain, SUBMISSION))
    assert report.hops[1].encrypted is False
    assert "Hop 2 travelled without encryption" in report_text(report)


def test_a_long_wait_is_pointed_out_at_the_hop_that_waited() -> None:
    late = RELAY.replace("10:00:05", "11:03:05")
    report = build_report(message(late, SUBMISSION))
    assert report.hops[1].delay == 3783.0
    assert any("waited 1 h 3 min" in n for n in report.hops[1].notes)
    assert "total: 1 h 3 min" in report_text(report)


def test_a_hop_dated_before_the_previous_one_means_a_clock_is_off() -> None:
    early = RELAY.replace("10:00:05", "09:40:05")
    report = build_report(message(early, SUBMISSION))
    assert any("clock" in n for n in report.hops[1].notes)


def test_a_few_seconds_of_jitter_is_not_called_a_clock_problem() -> None:
    early = RELAY.replace("10:00:05", "10:00:00")
    report = build_report(message(early, SUBMISSION))
    assert report.hops[1].notes == ()


def test_time_zones_are_compared_as_instants() -> None:
    other_zone = RELAY.replace("10:00:05 +0000", "11:00:05 +0100")
    report = build_report(message(other_zone, SUBMISSION))
    assert report.hops[1].delay == 3.0


def test_an_unreadable_hop_is_shown_raw_and_never_dropped() -> None:
    junk = "Received: ;;; @@@ ((("
    report = build_report(message(RELAY, junk, SUBMISSION))
    assert report.received_count == 3 and len(report.hops) == 3
    middle = report.hops[1]
    assert not middle.parsed and "@@@" in middle.raw
    assert "(not readable)" in report_text(report)


def test_a_hop_mail_parser_cannot_split_still_gives_hosts_and_time() -> None:
    # OpenSMTPD writes "from x;\n by y with ESMTPA ...;": mail-parser rejects it.
    opensmtpd = (
        "Received: from localhost (localhost [local]);\r\n\tby localhost (OpenSMTPD) with "
        "ESMTPA id 1e2a9eaa;\r\n\tfor <kijitora@example.jp>;\r\n\tThu, 17 Jul 2014 11:20:14 +0000"
    )
    hop = build_report(message(opensmtpd)).hops[0]
    assert hop.parsed and hop.by_host == "localhost" and hop.protocol == "ESMTPA"
    assert hop.time is not None and hop.time.hour == 11


def test_absurd_header_counts_are_bounded_and_counted() -> None:
    many = [RELAY] * 3000
    report = build_report(message(*many))
    assert report.received_count == 3000
    assert len(report.hops) == MAX_HOPS
    assert report.omitted_hops == 3000 - MAX_HOPS
    assert "older hops not read" in report_text(report)


def test_an_absurdly_long_received_header_is_cut_not_choked_on() -> None:
    huge = (
        "Received: from a (" + "x " * 200_000 + ") by b with SMTP; Mon, 1 Dec 2025 10:00:00 +0000"
    )
    report = build_report(message(huge))
    assert len(report.hops) == 1 and len(report.hops[0].raw) < 5000


def test_control_characters_in_trace_headers_are_made_visible() -> None:
    evil = "Received: from evil\x1b[2J.example ([203.0.113.9]) by mx.example.org\u202e with SMTP; Mon, 1 Dec 2025 10:00:00 +0000"
    report = build_report(message(evil))
    text = report_text(report)
    assert is_safe(text, multiline=True)
    assert "\x1b" not in text and "\u202e" not in text


def test_a_message_without_received_headers_says_so() -> None:
    report = build_report(message())
    assert report.hops == [] and "no Received headers" in report_text(report)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=300), min_size=1, max_size=8))
def test_any_received_values_give_one_safe_hop_each(values: list[str]) -> None:
    hops, omitted = parse_hops(values)
    assert omitted == 0 and len(hops) == len(values)
    for hop in hops:
        assert is_safe(hop.raw) and is_safe(hop.from_host) and is_safe(hop.by_host)
        assert all(is_safe(n) for n in hop.notes)


def test_microsoft_hops_name_their_protocol_and_encryption() -> None:
    ms = (
        "Received: from AM0PR09.eurprd09.prod.outlook.com (2603:10a6:208:f8::36) by "
        "VI1EUR04FT008.mail.protection.outlook.com (2603:10a6:7:d0::190) with Microsoft SMTP "
        "Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.3391.15; "
        "Fri, 25 Sep 2020 17:19:07 +0000"
    )
    hop = build_report(message(ms)).hops[0]
    assert hop.protocol == "Microsoft-SMTP" and hop.encrypted is True


def test_a_message_dated_long_before_its_first_hop_waited_on_the_senders_side() -> None:
    late = SUBMISSION.replace("10:00:02", "12:00:00")  # Date: 10:00:00
    report = build_report(message(late))
    assert report.written_to_first_hop == 7200.0
    assert "dated 2 h before the first server received it" in report_text(report)


def test_a_date_after_the_first_hop_means_the_senders_clock_is_ahead() -> None:
    early = SUBMISSION.replace("10:00:02", "09:30:00")
    text = report_text(build_report(message(early)))
    assert "dated 30 min after the first server received it" in text


def test_a_date_seconds_before_the_first_hop_is_not_pointed_out() -> None:
    text = report_text(build_report(message(SUBMISSION)))
    assert "written 2025-12-01 10:00:00 +0000 (the Date header" in text
    assert "is dated" not in text
