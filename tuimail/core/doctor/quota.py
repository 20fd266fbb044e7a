"""IMAP QUOTA (RFC 9208): how full the mailbox is; near-full is a warning."""

from __future__ import annotations

import time

from imapclient import IMAPClient

from tuimail.core.doctor.report import CheckResult
from tuimail.core.errors import ProtocolViolation
from tuimail.core.imap.errors import classify_imap

NEAR_FULL_PERCENT = 90.0


def check_quota(
    group: str, client: IMAPClient, caps: set[str], host: str | None = None
) -> CheckResult:
    """On a logged-in client: the STORAGE quota of INBOX's quota root."""
    start = time.monotonic()
    if "QUOTA" not in caps:
        return CheckResult("quota", group, "ok", "", data={"finding": "no-quota"})
    # An answer imapclient cannot parse, or figures that are no quota: the server broke
    # RFC 9208 (worded at the edge, tuimail.doctor_words, as everything below).
    unreadable = CheckResult(
        "quota",
        group,
        "warning",
        "",
        failure=ProtocolViolation(protocol="imap", host=host),
        data={"finding": "unreadable", "command": "GETQUOTAROOT"},
    )
    try:
        _roots, quotas = client.get_quota_root("INBOX")
    except (ValueError, IndexError, TypeError, AttributeError):  # imapclient's parsing
        return unreadable
    except Exception as exc:
        failure = classify_imap(exc, host=host)
        data = {"finding": "quota-failed"}
        return CheckResult("quota", group, "warning", "", failure=failure, data=data)
    took = time.monotonic() - start
    storage = [q for q in quotas if str(q.resource).upper() == "STORAGE" and q.limit]
    if any(not _number(q.usage) or not _number(q.limit) for q in storage):
        return unreadable
    if not storage:
        return CheckResult("quota", group, "ok", "", "", took, data={"finding": "no-limit"})
    q = storage[0]
    percent = 100.0 * q.usage / q.limit
    full = percent >= NEAR_FULL_PERCENT  # a finding the edge words, with its fix
    data = {"finding": "quota-full" if full else "quota", "percent": percent}
    data |= {"used": q.usage, "limit": q.limit}
    status = "ok" if not full else "warning" if percent < 100 else "failure"
    return CheckResult("quota", group, status, "", "", took, data=data)  # type: ignore[arg-type]


def _number(value: object) -> bool:
    """A quota figure as RFC 9208 has it: a non-negative 63-bit number."""
    return isinstance(value, int) and 0 <= value < 1 << 63
