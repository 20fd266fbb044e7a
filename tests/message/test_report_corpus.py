"""Delivery reports of the real-mail corpus: every message with Received headers gets one,
no hop is lost, nothing unsafe is printed; a handful are golden."""

from __future__ import annotations

import email
import email.policy
import json
import re
from pathlib import Path

import pytest

from tests.corpus import CORPUS_FILES
from tuimail.core.mime.headers import split_header_block
from tuimail.core.report import build_report, report_text
from tuimail.core.sanitize import is_safe

from .goldens import check_golden

_RECEIVED_LINE = re.compile(rb"^received[ \t]*:", re.IGNORECASE | re.MULTILINE)
GOLDEN = [
    "aerc-0003.acfc5ad94bbd27118a0d8685d18c89dd.eml",
    "flanker-bilingual-simple.eml",
    "sisimai-lhost-opensmtpd-01.eml",
    "phpmimeparser-issue84.eml",
    "rspamd-arcallow.eml",  # ARC, Microsoft hops, Gmail's results below its Received
    "meli-PATCH-Put-sha1dc-on-a-diet.msg00.eml",  # X-Spam-Status with rules
]


def _header_lines(raw: bytes) -> bytes:
    block = split_header_block(raw)[0]
    return block.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _with_received() -> list[Path]:
    return [p for p in CORPUS_FILES if _RECEIVED_LINE.search(_header_lines(p.read_bytes()))]


def test_the_corpus_has_plenty_of_routes() -> None:
    assert len(_with_received()) >= 120


@pytest.mark.parametrize("path", _with_received(), ids=lambda p: p.name)
def test_every_received_header_becomes_a_hop(path: Path) -> None:
    raw = path.read_bytes()
    report = build_report(raw)
    lines = len(_RECEIVED_LINE.findall(_header_lines(raw)))
    stdlib = len(
        email.message_from_bytes(raw, policy=email.policy.compat32).get_all("Received") or []
    )
    assert report.omitted_hops == 0
    assert len(report.hops) == lines >= stdlib
    assert [h.number for h in report.hops] == list(range(1, lines + 1))
    text = report_text(report)
    assert is_safe(text, multiline=True)
    json.dumps(report.as_dict())
    for hop in report.hops:  # every hop shows what it was made from
        assert hop.raw


def test_most_corpus_hops_are_understood() -> None:
    hops = [h for p in _with_received() for h in build_report(p.read_bytes()).hops]
    readable = [h for h in hops if h.parsed and h.time is not None]
    assert len(readable) >= 0.95 * len(hops)


def test_golden_messages_have_routes_and_results() -> None:
    reports = [build_report((CORPUS_FILES[0].parent / name).read_bytes()) for name in GOLDEN]
    assert all(r.hops for r in reports)
    assert any(a.trusted for r in reports for a in r.auth_results)


@pytest.mark.parametrize("name", GOLDEN)
def test_corpus_report_golden(name: str) -> None:
    raw = (CORPUS_FILES[0].parent / name).read_bytes()
    check_golden(f"report/{Path(name).stem}.txt", report_text(build_report(raw)) + "\n")
