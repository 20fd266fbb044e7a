"""The notes kept with a message whose listed date is when it arrived, not its Date:
header (tuimail.core.store sets them; the list marks such a date, the reader says why).
Its own module: the facade's rows need the kinds without importing the store."""

from __future__ import annotations

# No readable Date: header: listed and sorted by its arrival (INTERNALDATE).
NOTE_NO_DATE = "no-date"
# A Date: header over FUTURE_SLACK after the message arrived (a clock years off: a corpus
# message says 3609, which sorted first for ever): listed by its arrival; the reader shows
# the header as it is.
NOTE_FUTURE_DATE = "future-date"
ARRIVAL_NOTES = frozenset({NOTE_NO_DATE, NOTE_FUTURE_DATE})
FUTURE_SLACK = 86_400.0  # a day: time zones and skewed clocks stay within it
