"""A readable summary of a text/calendar (iCalendar) invitation."""

from __future__ import annotations

import re

__all__ = ["summarize_calendar"]

_FIELDS = (
    ("SUMMARY", "Event"),
    ("DTSTART", "Starts"),
    ("DTEND", "Ends"),
    ("LOCATION", "Where"),
    ("ORGANIZER", "Organizer"),
    ("STATUS", "Status"),
)


def _unescape(value: str) -> str:
    return (
        value.replace("\\n", "\n")
        .replace("\\N", "\n")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
    )


def _when(value: str) -> str:
    m = re.match(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?", value)
    if not m:
        return value
    y, mo, d, h, mi, _s, z = m.groups()
    out = f"{y}-{mo}-{d}"
    if h:
        out += f" {h}:{mi}" + (" UTC" if z else "")
    return out


def summarize_calendar(text: str) -> str:
    """Pick the main fields of the first VEVENT; unknown input gives a short line."""
    text = re.sub(r"\r?\n[ \t]", "", text[:200_000])  # unfold
    method = re.search(r"^METHOD:(.*)$", text, re.M)
    event = text.split("BEGIN:VEVENT", 1)[1] if "BEGIN:VEVENT" in text else text
    lines = ["Calendar: " + (method.group(1).strip().title() if method else "event")]
    attendees = 0
    for line in event.splitlines():
        if line.startswith("END:VEVENT"):
            break
        key, sep, value = line.partition(":")
        if not sep:
            continue
        base, _, params = key.partition(";")
        base = base.upper()
        if base == "ATTENDEE":
            attendees += 1
            continue
        for name, label in _FIELDS:
            if base == name:
                if name in ("DTSTART", "DTEND"):
                    tz = re.search(r"TZID=([^;:]+)", params)
                    tzname = tz.group(1).strip('"') if tz else ""
                    value = _when(value.strip()) + (f" ({tzname})" if tzname else "")
                elif name == "ORGANIZER":
                    cn = re.search(r'CN="?([^";:]+)', params)
                    addr = re.sub(r"(?i)^mailto:", "", value.strip())
                    value = f"{cn.group(1)} <{addr}>" if cn else addr
                if value.strip():
                    lines.append(f"{label}: {_unescape(value.strip())}")
    if attendees:
        lines.append(f"Attendees: {attendees}")
    return "\n".join(lines)
