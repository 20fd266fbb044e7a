"""Authentication-Results (RFC 8601) and ARC-Authentication-Results (RFC 8617) parsing.

Forgiving: real headers break the grammar (no authserv-id, stray ";domain;" pieces,
"spf = pass"), so the parser reads what is there and never raises. Work is bounded by
MAX_CHARS per header and MAX_RESULTS results per header.
"""

from __future__ import annotations

import re

from tuimail.core.report.model import Verdict
from tuimail.core.sanitize import sanitize

MAX_CHARS = 8000
MAX_RESULTS = 50
RESULTS = {
    "pass",
    "fail",
    "softfail",
    "neutral",
    "none",
    "temperror",
    "permerror",
    "policy",
    "hardfail",  # pre-RFC 7001 spelling of fail
    "bestguesspass",
}
_METHOD = re.compile(r"^([A-Za-z0-9_.-]+)(?:/\d+)?=(.*)$")
_PROP = re.compile(r"^([A-Za-z0-9_-]+)\.([A-Za-z0-9_.-]+)=(.*)$")


def _segments(text: str) -> list[tuple[list[str], list[str]]]:
    """Split at ';' outside quotes and comments: [(words, comments)] per segment."""
    segments: list[tuple[list[str], list[str]]] = []
    words: list[str] = []
    comments: list[str] = []
    word: list[str] = []
    comment: list[str] = []
    depth = 0
    quoted = False
    escape = False

    def end_word() -> None:
        if word:
            words.append("".join(word))
            word.clear()

    for ch in text:
        if escape:
            (comment if depth else word).append(ch)
            escape = False
        elif ch == "\\" and (quoted or depth):
            escape = True
        elif depth:
            if ch == "(":
                depth += 1
                comment.append(ch)
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    comments.append("".join(comment).strip())
                    comment.clear()
                else:
                    comment.append(ch)
            else:
                comment.append(ch)
        elif quoted:
            if ch == '"':
                quoted = False
            else:
                word.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == "(":
            end_word()
            depth = 1
        elif ch == ";":
            end_word()
            segments.append((words, comments))
            words, comments = [], []
            if len(segments) > MAX_RESULTS:
                return segments
        elif ch.isspace():
            end_word()
        else:
            word.append(ch)
    end_word()
    if comment:
        comments.append("".join(comment).strip())
    if words or comments:
        segments.append((words, comments))
    return segments


def _join_equals(words: list[str]) -> list[str]:
    """'spf', '=', 'pass' or 'spf=', 'pass' -> 'spf=pass'."""
    out: list[str] = []
    for w in words:
        if out and (w.startswith("=") or out[-1].endswith("=")):
            out[-1] += w
        else:
            out.append(w)
    return out


def parse_auth_results(value: str) -> tuple[str, int | None, list[Verdict], bool]:
    """A header's value -> (authserv-id, ARC instance or None, verdicts, fully understood)."""
    text = " ".join(str(value).split())[:MAX_CHARS]
    segments = _segments(text)
    instance: int | None = None
    understood = True
    if segments:
        first = _join_equals(segments[0][0])
        if len(first) == 1 and re.fullmatch(r"i=\d{1,3}", first[0].lower()):
            instance = int(first[0][2:])
            segments = segments[1:]
    authserv_id = ""
    if segments:
        first = _join_equals(segments[0][0])
        if first and not _is_result(first[0]):
            authserv_id = first[0]  # a version number may follow; ignored
            rest = first[1:]
            if rest and rest[0].isdigit():
                rest = rest[1:]
            if rest and _is_result(rest[0]):  # "example.net spf=pass ..." (no ';')
                segments = [(rest, segments[0][1])] + segments[1:]
            else:
                segments = segments[1:]
        elif not first:
            segments = segments[1:]
            understood = False
        else:
            understood = False  # no authserv-id: the header does not say who wrote it
    verdicts: list[Verdict] = []
    for words, comments in segments[:MAX_RESULTS]:
        words = _join_equals(words)
        if not words:
            continue
        if len(words) == 1 and words[0].lower() == "none":
            continue  # "no-result"
        m = _METHOD.match(words[0])
        if not m or not _is_result(words[0]):
            understood = False
            continue
        method, result = m.group(1).lower(), m.group(2).lower()
        reason = ""
        props: list[tuple[str, str]] = []
        for w in words[1:]:
            if w.lower().startswith("reason="):
                reason = w[7:]
                continue
            p = _PROP.match(w)
            if p:
                props.append((f"{p.group(1).lower()}.{p.group(2).lower()}", sanitize(p.group(3))))
            elif "=" in w:  # action=none, policy.dmarc=... written oddly: keep as property
                key, _, val = w.partition("=")
                props.append((key.lower(), sanitize(val)))
        verdicts.append(
            Verdict(
                method=sanitize(method),
                result=sanitize(result),
                properties=tuple(props),
                reason=sanitize(reason),
                comment=sanitize(" ".join(comments)),
            )
        )
    return sanitize(authserv_id), instance, verdicts, understood


def _is_result(word: str) -> bool:
    m = _METHOD.match(word)
    return bool(m) and m.group(2).lower() in RESULTS
