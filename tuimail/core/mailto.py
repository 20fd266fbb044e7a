"""mailto: URIs (RFC 6068) turned into what the composer starts with, safely.

    start = parse_mailto("mailto:bob@example.org?subject=hi&body=line%0Aline")

Invariants: only To, Cc, Bcc, Subject, Body and In-Reply-To are taken (a link can set no
other header: no From, no Reply-To, no X- anything); header values never contain CR or LF or
other control characters (no header injection); the body keeps its line breaks; every part
is bounded in size; a link that is not mailto: raises MailtoError (a ValueError).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

from tuimail.core.mime.address_list import split_entries
from tuimail.core.sanitize import sanitize

MAX_URI = 64 * 1024
MAX_FIELD = 2000
MAX_BODY = 32 * 1024
MAX_RECIPIENTS = 100


@dataclass
class MailtoStart:
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    in_reply_to: str | None = None
    ignored: list[str] = field(default_factory=list)  # header names the link tried to set
    sender: str = ""  # `tuimail compose --from`: an identity's address (never from a link)


def _one_line(text: str, limit: int = MAX_FIELD) -> str:
    return " ".join(sanitize(text.replace("\r", " ").replace("\n", " ")).split())[:limit]


def _addresses(text: str) -> list[str]:
    """An address list (RFC 5322: `"Doe, John" <j@x>` is one entry, as are groups and
    comments with commas); a list that is not balanced (an open quote) is one entry, for
    the composer to show as it is, never guessed apart."""
    if len(text) > MAX_FIELD * MAX_RECIPIENTS:
        text = text[: MAX_FIELD * MAX_RECIPIENTS]
    entries = split_entries(text)
    out = []
    for part in entries if entries is not None else [text]:
        address = _one_line(part)
        if address:
            out.append(address)
    return out[:MAX_RECIPIENTS]


class MailtoError(ValueError):
    """A link that cannot start a message: `problem` "too-long" (over MAX_URI) or
    "not-mailto"; the edge words it (tuimail.words.compose.mailto_words)."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"mailto: {problem}")
        self.problem = problem


def parse_mailto(uri: str) -> MailtoStart:
    if len(uri) > MAX_URI:
        raise MailtoError("too-long")
    scheme, colon, rest = uri.partition(":")
    if not colon or scheme.strip().lower() != "mailto":
        raise MailtoError("not-mailto")
    path, _, query = rest.partition("?")
    start = MailtoStart(to=_addresses(unquote(path, errors="replace")))
    for pair in query.split("&") if query else []:
        name, _, value = pair.partition("=")
        name = unquote(name, errors="replace").strip().lower()
        value = unquote(value, errors="replace")  # RFC 6068: percent-encoding, '+' is '+'
        if name in ("to", "cc", "bcc"):
            getattr(start, name).extend(_addresses(value))
        elif name == "subject":
            start.subject = _one_line(value)
        elif name == "body":
            lines = value.replace("\r\n", "\n").replace("\r", "\n")[:MAX_BODY].split("\n")
            start.body = "\n".join(sanitize(line) for line in lines)
        elif name == "in-reply-to":
            start.in_reply_to = _one_line(value, 998) or None
        elif name:
            start.ignored.append(_one_line(name, 80))
    for name in ("to", "cc", "bcc"):
        setattr(start, name, getattr(start, name)[:MAX_RECIPIENTS])
    return start
