"""The doctor's report for people: each check's finding worded at the edge, and the
text and JSON reports (`tuimail doctor`, the app's Diagnose screen).

A finding core built from a typed error (CheckResult.failure, e.g. the SecurityFailure
of a TLS check) is worded here with tuimail.words, the same words the CLI and the app
use for that failure anywhere else: one table of sentences, not one per report.
"""

from __future__ import annotations

import json

from tuimail.core.doctor.report import CheckResult, failed
from tuimail.core.sanitize import sanitize
from tuimail.words import failure_words

_COLOURS = {"ok": "\x1b[32m", "warning": "\x1b[33m", "failure": "\x1b[31m"}


def seen(result: CheckResult) -> str:
    """What the check found, in one sanitised sentence."""
    if result.failure is None:
        return result.seen
    words = failure_words(result.failure)
    return sanitize(f"{words} ({result.seen})" if result.seen else words)


def as_dict(result: CheckResult) -> dict:
    """One check as docs/json.md lists it (`tuimail doctor --json`)."""
    return {
        "name": result.name,
        "group": result.group,
        "status": result.status,
        "seen": seen(result),
        "fix": result.fix,
        "seconds": result.seconds,
    }


def render_json(results: list[CheckResult]) -> str:
    return json.dumps(
        {"ok": not failed(results), "checks": [as_dict(r) for r in results]}, indent=2
    )


def render_text(results: list[CheckResult], colour: bool = False) -> str:
    lines: list[str] = []
    group = None
    for r in results:
        if r.group != group:
            group = r.group
            lines.append("" if not lines else "")
            lines.append(group)
        mark = r.status.upper()
        if colour:
            mark = f"{_COLOURS[r.status]}{mark}\x1b[0m"
        lines.append(f"  [{mark}] {r.name}: {seen(r)} ({r.seconds:.2f}s)")
        if r.fix and r.status != "ok":
            lines.append(f"      fix: {r.fix}")
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "warning", "failure")}
    lines.append("")
    lines.append(
        f"{counts['ok']} ok, {counts['warning']} warning(s), {counts['failure']} failure(s)"
    )
    return "\n".join(lines).lstrip("\n") + "\n"
