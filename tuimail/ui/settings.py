"""The [ui] table of config.toml: list columns and when a previewed message counts as read.

    [ui]
    columns = ["date", "from", "subject", "size"]
    mark_read_delay = 3      # seconds a preview must stay on screen; 0 = at once; -1 = never

Invariant: `ui_settings` never raises; a bad value is reported as a sentence (the app
shows it when it starts) and the default is used in its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COLUMN_NAMES = ("date", "from", "subject", "size", "folder", "account")
DEFAULT_COLUMNS = ("date", "from", "subject", "size")
DEFAULT_MARK_READ_DELAY = 3.0


@dataclass(frozen=True)
class UiSettings:
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    mark_read_delay: float = DEFAULT_MARK_READ_DELAY  # < 0: never (opening still marks)


def ui_settings(table: Any) -> tuple[UiSettings, list[str]]:
    """The settings from a [ui] table, and a sentence for every value that was ignored."""
    problems: list[str] = []
    if not isinstance(table, dict):
        return UiSettings(), ([] if table is None else ["[ui] must be a table."])
    columns = DEFAULT_COLUMNS
    raw = table.get("columns")
    if raw is not None:
        names = [str(c).strip().lower() for c in raw] if isinstance(raw, list) else []
        unknown = [n for n in names if n not in COLUMN_NAMES]
        if not isinstance(raw, list) or unknown or "subject" not in names:
            problems.append(
                "in [ui], columns must be a list of "
                + ", ".join(f'"{n}"' for n in COLUMN_NAMES)
                + ' that includes "subject"'
                + (f" (unknown: {', '.join(unknown)})" if unknown else "")
                + "; using the default."
            )
        else:
            columns = tuple(dict.fromkeys(names))  # each once, in the order given
    delay = DEFAULT_MARK_READ_DELAY
    raw = table.get("mark_read_delay")
    if raw is not None:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            problems.append(
                "in [ui], mark_read_delay must be a number of seconds "
                "(0 = at once, -1 = never); using the default."
            )
        else:
            delay = float(raw)
    return UiSettings(columns=columns, mark_read_delay=delay), problems
