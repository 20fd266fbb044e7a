"""The result of one check, and the text / JSON report."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

from tuimail.core.sanitize import sanitize

Status = Literal["ok", "warning", "failure"]
_COLOURS = {"ok": "\x1b[32m", "warning": "\x1b[33m", "failure": "\x1b[31m"}


@dataclass
class CheckResult:
    name: str
    group: str
    status: Status
    seen: str
    fix: str = ""
    seconds: float = 0.0

    def __post_init__(self) -> None:
        # Server replies end up here: never let them carry terminal escapes.
        self.name = sanitize(self.name)
        self.group = sanitize(self.group)
        self.seen = sanitize(self.seen)
        self.fix = sanitize(self.fix)
        self.seconds = round(float(self.seconds), 3)


def failed(results: list[CheckResult]) -> bool:
    return any(r.status == "failure" for r in results)


def render_json(results: list[CheckResult]) -> str:
    return json.dumps({"ok": not failed(results), "checks": [asdict(r) for r in results]}, indent=2)


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
        lines.append(f"  [{mark}] {r.name}: {r.seen} ({r.seconds:.2f}s)")
        if r.fix and r.status != "ok":
            lines.append(f"      fix: {r.fix}")
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "warning", "failure")}
    lines.append("")
    lines.append(
        f"{counts['ok']} ok, {counts['warning']} warning(s), {counts['failure']} failure(s)"
    )
    return "\n".join(lines).lstrip("\n") + "\n"
