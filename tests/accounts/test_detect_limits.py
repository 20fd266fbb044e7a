"""Detection against a domain publishing 300 SRV records for servers that never answer:
a few of each kind are probed (not 300), and the whole detection stops at its time limit
with a sentence saying so (no stage starts after it)."""

from __future__ import annotations

import pytest

from tests.accounts.helpers import options, silent_port, srv_flood
from tuimail import detect_words
from tuimail.core.discovery.detect import MAX_PER_KIND, detect
from tuimail.core.discovery.findings import NoticeKind

RECORDS = 300


@pytest.fixture
def silent():
    with silent_port(RECORDS) as port:
        yield port


def test_300_srv_records_give_a_few_probes_and_a_time_limit(mail_server, silent) -> None:
    mail_server.set_dns(srv_flood(silent, RECORDS))
    # Each probe may take 3 s, the whole detection 1 s: the silent servers outlast it.
    result = detect("alice@example.test", options(mail_server, timeout=3.0, total_timeout=1.0))
    srv = [r for r in result.probes if r.candidate.source == "srv"]
    for protocol in ("imap", "smtp"):
        probed = [r for r in srv if r.candidate.protocol == protocol]
        assert 1 <= len(probed) <= MAX_PER_KIND, len(probed)
    assert len(result.probes) <= 2 * MAX_PER_KIND
    assert not any(r.candidate.source == "guess" for r in result.probes)  # none after it
    assert not result.found
    said = detect_words.not_found(result.error)
    assert "the SRV records named servers" in said and "usual host names" not in said, said
    (deadline,) = [w for w in result.warnings if w.kind is NoticeKind.DEADLINE]
    assert "time limit (1 seconds)" in detect_words.warning(deadline)
