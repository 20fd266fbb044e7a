"""Plain text of untrusted values and of a server's reply, for the edge's sentences.

Every string returned is sanitised (no control characters).
"""

from __future__ import annotations

import re

from tuimail.core.errors import (
    MailError,
)
from tuimail.core.sanitize import sanitize


def plain(value: object) -> str:
    return sanitize(str(value)) if value not in (None, "") else ""


MAX_FOLDER_SHOWN = 80  # characters of a folder name in a sentence


def folder(value: object) -> str:
    """A folder's name for a sentence: sanitised, and a long one (a server may list 4 KB
    names) cut in the middle so the sentence stays one readable line: "Archive/2019/…/x"."""
    text = plain(value)
    if len(text) > MAX_FOLDER_SHOWN:
        text = text[:50] + "…" + text[-(MAX_FOLDER_SHOWN - 51) :]
    return text


def whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def server_said(error: MailError) -> str:
    """The server's reply as it spoke it, its code and words once: "535 5.7.8
    Authentication credentials invalid", "[AUTHENTICATIONFAILED] Authentication failed"
    (a closing full stop is dropped: the words sit inside a sentence)."""
    said = tidy(error.server_text or "").strip()
    enhanced = getattr(error, "enhanced", None)
    if isinstance(enhanced, str) and enhanced and enhanced not in said:
        said = f"{enhanced} {said}".strip()
    code = error.code
    if code is not None and str(code) not in said:
        tag = str(code) if isinstance(code, int) else f"[{code}]"
        said = f"{tag} {said}".strip()
    return sanitize(said.rstrip(". "))


MAX_SAID = 240  # characters of a server's own words in a sentence


def tidy(text: str) -> str:
    """A server's words for a sentence: b'...' reprs (as they sometimes arrive) shown as
    the words only, and cut to MAX_SAID characters: a server may answer with a 100 KB
    line, which made a 100 KB "sentence" on the terminal and in the app."""
    text = str(text)
    if len(text) > MAX_SAID:
        text = text[: MAX_SAID - 1] + "…"
    return re.sub(r"""\bb(['"])(.*?)\1""", r"\2", text)
