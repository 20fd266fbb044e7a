"""Server alerts (RFC 3501 7.1: the text of an ``[ALERT]`` response code "MUST be presented
to the user"): "your mailbox is over quota", "your password expires in 3 days".

Every IMAP connection reads its lines in `tuimail.core.connect._IMAP4`; a status response
(OK, NO, BAD, BYE, PREAUTH; tagged or untagged, the greeting too) with ``[ALERT]`` hands its
text to `heard(account, text)` (via `alert_text` and `attach`). Callers show what `take`
returns: `tuimail sync` and `tuimail doctor` print it, the app notifies it once.

Invariants:
- A text is sanitised (one line, tuimail.core.sanitize) and cut to MAX_CHARS before it is
  kept; it is plain text, never markup, for whoever shows it.
- Deduplicated per account for the session (until `forget`): a server repeating the same
  alert on every NOOP, or on each of its connections, is shown once.
- Bounded: at most MAX_PER_ACCOUNT distinct alerts per account per session; later ones are
  dropped, so a flood of distinct texts costs nothing.
- Thread-safe: connections of several threads (sync, IDLE, actions) report here.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

MAX_CHARS = 300  # one alert's text, after sanitising
MAX_PER_ACCOUNT = 5  # distinct alerts kept per account per session
MAX_EARLY = 5  # alerts a connection holds before it knows its account

# A status response carrying [ALERT]: "* OK [ALERT] text", "A1 NO [ALERT] text".
# A tagged NO or BAD is not one: it is the command's failure, its text the typed error's
# server_text (a refused LOGIN's sentence says it), so it is not said twice.
_ALERT = re.compile(
    rb"(?:\*|[!#$&'+,\-./0-9:;<=>?@A-Z^_`a-z|~]+) (OK|NO|BAD|BYE|PREAUTH) \[ALERT\] ?(.*)",
    re.IGNORECASE | re.DOTALL,
)
_FAILED = (b"NO", b"BAD")

Listener = Callable[[str, str], None]  # account, text (a new alert)

_lock = threading.Lock()
_seen: dict[str, list[str]] = {}  # account -> distinct alerts heard this session, in order
_taken: dict[str, int] = {}  # account -> how many of _seen were handed out by take()
_listeners: list[Listener] = []


def may_be_alert(line: bytes) -> bool:
    """Whether `line` may carry the ALERT code (any case: response codes are
    case-insensitive, RFC 3501 9), for alert_text to read. Cheap, as every IMAP line
    passes here: a status response's code is its first "[" (a tag has none: _ALERT),
    so only the six bytes after the first "[" of the line's start are looked at."""
    at = line.find(b"[", 0, 80)
    return at >= 0 and line[at + 1 : at + 7].upper() == b"ALERT]"


def alert_text(line: bytes) -> str | None:
    """The alert's text if `line` (one response line, no CRLF) is a status response with
    the ALERT code (not a tagged NO or BAD: see _ALERT), else None. Cut and sanitised."""
    if b"[" not in line[:80]:
        return None
    match = _ALERT.match(line)
    if match is None or (line[:1] != b"*" and match.group(1).upper() in _FAILED):
        return None
    from tuimail.core.sanitize import sanitize  # only for an alert (connect imports this)

    raw = match.group(2)[: MAX_CHARS * 4].decode("utf-8", "replace")
    text = sanitize(raw).strip()
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS - 1] + "…"
    return text or "(the server sent an empty alert)"


def heard(account: str, text: str) -> None:
    """Keep `text` (from alert_text) for `account`, once; tell the listeners if new."""
    with _lock:
        seen = _seen.setdefault(account, [])
        if text in seen:
            return
        if len(seen) >= MAX_PER_ACCOUNT:
            return
        seen.append(text)
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(account, text)
        except Exception:  # a listener's failure never breaks a connection
            pass


def take(account: str) -> list[str]:
    """The alerts heard for `account` not taken before (each is handed out once)."""
    with _lock:
        seen = _seen.get(account, [])
        start = _taken.get(account, 0)
        _taken[account] = len(seen)
        return list(seen[start:])


def forget(account: str) -> None:
    """Start a new session for `account` (a new command, a new app): alerts shown again."""
    with _lock:
        _seen.pop(account, None)
        _taken.pop(account, None)


def listen(listener: Listener) -> Callable[[], None]:
    """Call `listener(account, text)` for each new alert (in the connection's thread);
    returns the function that stops it."""
    with _lock:
        _listeners.append(listener)

    def stop() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return stop


def attach(imap: object, account: str) -> None:
    """From now on, alerts read on `imap` (a tuimail.core.connect._IMAP4) are `account`'s;
    those it read before (the greeting's) are handed over now."""
    early = getattr(imap, "early_alerts", None)
    try:
        imap.alert_account = account  # type: ignore[attr-defined]
    except AttributeError:
        return
    for text in list(early or ()):
        heard(account, text)
    if early:
        early.clear()
