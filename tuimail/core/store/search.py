"""Local full-text search helpers: the FTS5 query a user's words become, and the text of a
body that goes into the index."""

from __future__ import annotations

import email
import re
from email._policybase import compat32  # email.policy would load the whole header registry

_WORD = re.compile(r"\w[\w@.+-]*", re.UNICODE)
_FIELDS = {"subject": "subject", "from": "people", "to": "people", "body": "body"}


def fts_query(text: str) -> str:
    """Words -> an FTS5 query where every word must match (prefix match on each).

    `subject:word`, `from:word`, `to:word`, `body:word` limit a word to a column. User
    text never reaches FTS5 syntax: each word is quoted.
    """
    parts = []
    for token in text.split():
        column = None
        if ":" in token:
            field, _, rest = token.partition(":")
            if field.lower() in _FIELDS and rest:
                column, token = _FIELDS[field.lower()], rest
        for word in _WORD.findall(token):
            quoted = '"' + word.replace('"', '""') + '"*'
            parts.append(f"{column} : {quoted}" if column else quoted)
    return " AND ".join(parts)


def body_text(raw: bytes, limit: int = 200_000) -> str:
    """Readable text of a message for the index (not for display)."""
    try:
        from tuimail.core.mime import parse_message, render_message  # type: ignore[attr-defined]

        return render_message(parse_message(raw)).as_text()[:limit]
    except Exception:
        pass
    try:
        msg = email.message_from_bytes(raw, policy=compat32)
        chunks = []
        for part in msg.walk():
            if part.get_content_maintype() != "text":
                continue
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or "utf-8"
            try:
                chunk = payload.decode(charset, errors="replace")
            except LookupError:
                chunk = payload.decode("utf-8", errors="replace")
            if part.get_content_subtype() == "html":
                chunk = re.sub(r"<[^>]+>", " ", chunk)
            chunks.append(chunk)
        return "\n".join(chunks)[:limit]
    except Exception:
        return raw.decode("utf-8", errors="replace")[:limit]
