"""The report as lines of text, each with a level for colour (ok, info, warning, bad,
heading, plain). Used by `tuimail read --route` and the reader's report screen; strings in
the report are already sanitised. The own DKIM check's results are typed (DkimCheck.reason
and data): the edge passes its words for them (tuimail.words.dkim.dkim_detail)."""

from __future__ import annotations

from collections.abc import Callable

from tuimail.core.report.model import DeliveryReport, DkimCheck, Hop
from tuimail.core.report.received import duration

Line = tuple[str, str]


def _security(hop: Hop) -> str:
    if hop.encrypted is True:
        words = ["encrypted"]
    elif hop.encrypted is False:
        words = ["not encrypted" if hop.local else "NOT encrypted"]
    else:
        words = [] if hop.local else ["encryption unknown"]
    if hop.local:
        words.append("on one machine")
    if hop.authenticated:
        words.append("sender logged in")
    return ", ".join(words)


def hop_lines(hop: Hop) -> list[Line]:
    when = hop.time.strftime("%Y-%m-%d %H:%M:%S %z") if hop.time else "time unknown"
    delay = ""
    if hop.delay is not None:
        delay = f"  +{duration(hop.delay)}" if hop.delay >= 0 else f"  -{duration(-hop.delay)}"
    lines: list[Line] = []
    if not hop.parsed:
        lines.append(("warning", f"{hop.number:>2}. (not readable) {hop.raw}"))
    else:
        source = hop.from_host or "?"
        if hop.from_address and hop.from_address != hop.from_host:
            source += f" [{hop.from_address}]"
        protocol = f"with {hop.protocol}" if hop.protocol else "protocol not stated"
        lines.append(("plain", f"{hop.number:>2}. {when}{delay}  {source} → {hop.by_host or '?'}"))
        level = "warning" if hop.encrypted is False and not hop.local else "info"
        lines.append((level, f"    {protocol} ({_security(hop)})"))
    for note in hop.notes:
        lines.append(("warning", f"    ! {note}"))
    return lines


DkimWords = Callable[[DkimCheck], str]


def _reason_key(check: DkimCheck) -> str:
    return check.reason


def report_lines(report: DeliveryReport, dkim_words: DkimWords = _reason_key) -> list[Line]:
    """The report's lines; `dkim_words` words a DkimCheck's result (the edge's words)."""
    lines: list[Line] = []
    if report.warnings:  # first: what people most need to see
        lines.append(("heading", "Warnings"))
        for w in report.warnings:
            lines.append((w.level, f" ! {w.text}"))
        lines.append(("plain", ""))
    lines.append(("heading", "Route (oldest first)"))
    if report.written is not None:
        when = report.written.strftime("%Y-%m-%d %H:%M:%S %z")
        lines.append(("plain", f"    written {when} (the Date header: the sender's clock)"))
    if report.omitted_hops:
        lines.append(("warning", f" … {report.omitted_hops} older hops not read"))
    for hop in report.hops:
        lines.extend(hop_lines(hop))
    if not report.hops:
        lines.append(("info", " no Received headers"))
    if report.total_seconds is not None:
        total = duration(report.total_seconds)
        sign = "" if report.total_seconds >= 0 else "-"
        lines.append(("plain", f" total: {sign}{total}"))
    lines.append(("plain", ""))
    lines.append(("heading", "What it means"))
    for e in report.explanations:
        lines.append((e.level, f" {e.text}"))
    if report.dkim_checks is not None:
        lines.append(("plain", ""))
        lines.append(("heading", "tuimail's own DKIM check"))
        if not report.dkim_checks:
            lines.append(("info", " the message carries no DKIM signature"))
        for c in report.dkim_checks:
            level = "ok" if c.result == "pass" else "bad" if c.result == "fail" else "warning"
            text = f" {c.domain or '?'} (selector {c.selector or '?'}): {c.result}: {dkim_words(c)}"
            if c.provider_said:
                agree = "agrees" if c.provider_said == c.result else "differs"
                text += f" (your provider said {c.provider_said}: {agree})"
            lines.append((level, text))
    if report.auth_results:
        lines.append(("plain", ""))
        lines.append(("heading", "Authentication results as written"))
        for a in report.auth_results:
            who = "your provider" if a.trusted else "claim of an earlier server, not verified"
            lines.append(
                ("ok" if a.trusted else "info", f" {a.source} by {a.authserv_id or '?'} ({who}):")
            )
            for v in a.verdicts:
                props = " ".join(f"{k}={val}" for k, val in v.properties)
                lines.append(("plain", f"   {v.method}={v.result} {props}".rstrip()))
            if not a.parsed:
                lines.append(("info", f"   as written: {a.raw}"))
    if report.from_header:
        lines.append(("plain", ""))
        lines.append(("plain", f"From: {report.from_header}"))
    return lines


def report_text(report: DeliveryReport, dkim_words: DkimWords = _reason_key) -> str:
    return "\n".join(text for _, text in report_lines(report, dkim_words))
