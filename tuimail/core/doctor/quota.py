"""IMAP QUOTA (RFC 9208): how full the mailbox is; near-full is a warning."""

from __future__ import annotations

import time

from imapclient import IMAPClient

from tuimail.core.doctor.report import CheckResult

NEAR_FULL_PERCENT = 90.0


def check_quota(group: str, client: IMAPClient, caps: set[str]) -> CheckResult:
    """On a logged-in client: the STORAGE quota of INBOX's quota root."""
    start = time.monotonic()
    if "QUOTA" not in caps:
        return CheckResult("quota", group, "ok", "the server does not report a quota")
    try:
        _roots, quotas = client.get_quota_root("INBOX")
    except Exception as exc:
        return CheckResult(
            "quota", group, "warning", f"the server did not answer GETQUOTAROOT: {exc}", ""
        )
    took = time.monotonic() - start
    storage = [q for q in quotas if str(q.resource).upper() == "STORAGE" and q.limit]
    if not storage:
        return CheckResult("quota", group, "ok", "no storage limit is set", "", took)
    q = storage[0]
    percent = 100.0 * q.usage / q.limit
    seen = f"{percent:.0f}% used ({q.usage} of {q.limit} KiB)"
    if percent >= NEAR_FULL_PERCENT:
        return CheckResult(
            "quota",
            group,
            "warning" if percent < 100 else "failure",
            f"the mailbox is nearly full: {seen}",
            "delete or archive old mail (and empty Trash) before new mail starts bouncing",
            took,
        )
    return CheckResult("quota", group, "ok", seen, "", took)
