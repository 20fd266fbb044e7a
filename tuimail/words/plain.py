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


def tidy(text: str) -> str:
    """Server texts sometimes arrive as b'...' reprs; show the words only."""
    return re.sub(r"""\bb(['"])(.*?)\1""", r"\2", str(text))
