"""SEARCH keys: parsed into predicates over (sequence number, message)."""

from __future__ import annotations

import base64
import quopri
from collections.abc import Callable
from datetime import date, datetime
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime

from testserver.imap.mime import Part, header_fields, split_header
from testserver.imap.parser import BadCommand, astring, parse_seqset, uids_in
from testserver.mailstore import StoredMessage

MONTHS = {
    m: i for i, m in enumerate(("jan feb mar apr may jun jul aug sep oct nov dec").split(), 1)
}


class Context:
    """What a predicate may look at; `top_seq`/`top_uid` resolve '*'."""

    def __init__(self, top_seq: int, top_uid: int) -> None:
        self.top_seq = top_seq
        self.top_uid = top_uid
        self.uses_modseq = False


Pred = Callable[[int, StoredMessage], bool]


def parse_date(token: object) -> date:
    text = astring(token)
    try:
        day, mon, year = text.split("-")
        return date(int(year), MONTHS[mon.lower()], int(day))
    except (ValueError, KeyError) as exc:
        raise BadCommand("invalid date") from exc


def decode_text(value: bytes) -> str:
    text = value.decode("utf-8", "replace") if _is_utf8(value) else value.decode("latin-1")
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except Exception:
        return text


def _is_utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def headers(message: StoredMessage) -> dict[str, list[str]]:
    cached = message.cache.get("search_headers")
    if cached is None:
        cached = {}
        for name, value, _ in header_fields(split_header(message.raw)[0]):
            cached.setdefault(name, []).append(decode_text(value).lower())
        message.cache["search_headers"] = cached
    return cached


def _decode_part(part: Part) -> str:
    enc = (part.field("content-transfer-encoding") or b"").strip().lower()
    data = part.body
    try:
        if enc == b"base64":
            data = base64.b64decode(data)
        elif enc == b"quoted-printable":
            data = quopri.decodestring(data)
    except ValueError:
        pass
    charset = part.param("charset") or "us-ascii"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("latin-1")


def body_text(message: StoredMessage) -> str:
    out = []

    def walk(part: Part) -> None:
        if part.is_multipart:
            for child in part.children:
                walk(child)
        elif part.message is not None:
            out.append(split_header(part.body)[0].decode("latin-1"))
            walk(part.message)
        elif part.maintype in ("text", "message"):
            out.append(_decode_part(part))

    walk(Part(message.raw))
    return "\n".join(out).lower()


def sent_date(message: StoredMessage) -> date | None:
    values = headers(message).get("date")
    if not values:
        return None
    try:
        return parsedate_to_datetime(values[0]).date()
    except (TypeError, ValueError, IndexError):
        return None


def parse_search(args: list, ctx: Context, uid_of: Callable[[int], int]) -> Pred:
    """All keys ANDed together. Raises BadCommand on a syntax error."""
    if not args:
        raise BadCommand("missing search criteria")
    pos = [0]

    def take() -> object:
        if pos[0] >= len(args):
            raise BadCommand("missing search argument")
        value = args[pos[0]]
        pos[0] += 1
        return value

    def text_arg() -> str:
        return astring(take()).lower()

    def key() -> Pred:
        token = take()
        if isinstance(token, list):
            preds = parse_list(token)
            return lambda s, m: all(p(s, m) for p in preds)
        if not isinstance(token, str):
            raise BadCommand("invalid search key")
        k = token.upper()
        flag_keys = {
            "ANSWERED": ("\\Answered", True),
            "DELETED": ("\\Deleted", True),
            "DRAFT": ("\\Draft", True),
            "FLAGGED": ("\\Flagged", True),
            "SEEN": ("\\Seen", True),
            "UNANSWERED": ("\\Answered", False),
            "UNDELETED": ("\\Deleted", False),
            "UNDRAFT": ("\\Draft", False),
            "UNFLAGGED": ("\\Flagged", False),
            "UNSEEN": ("\\Seen", False),
        }
        if k == "ALL" or k == "OLD":
            return lambda s, m: True
        if k in ("RECENT", "NEW"):
            return lambda s, m: False  # this server never reports \Recent
        if k in flag_keys:
            flag, present = flag_keys[k]
            return lambda s, m: (flag in m.flags) == present
        if k in ("KEYWORD", "UNKEYWORD"):
            word = astring(take()).lower()
            present = k == "KEYWORD"
            return lambda s, m: any(f.lower() == word for f in m.flags) == present
        if k in ("FROM", "TO", "CC", "BCC", "SUBJECT"):
            name, needle = k.lower(), text_arg()
            return lambda s, m: any(needle in v for v in headers(m).get(name, ()))
        if k == "HEADER":
            name, needle = astring(take()).lower(), text_arg()
            return lambda s, m: any(needle in v for v in headers(m).get(name, ()))
        if k == "BODY":
            needle = text_arg()
            return lambda s, m: needle in body_text(m)
        if k == "TEXT":
            needle = text_arg()

            def text_pred(s: int, m: StoredMessage) -> bool:
                if any(needle in v for vs in headers(m).values() for v in vs):
                    return True
                return needle in body_text(m)

            return text_pred
        if k in ("BEFORE", "ON", "SINCE"):
            day = parse_date(take())
            return _date_pred(k, day, lambda m: m.internaldate.date())
        if k in ("SENTBEFORE", "SENTON", "SENTSINCE"):
            day = parse_date(take())
            return _date_pred(k[4:], day, sent_date)
        if k in ("LARGER", "SMALLER"):
            size = _int(take())
            if k == "LARGER":
                return lambda s, m: m.size > size
            return lambda s, m: m.size < size
        if k == "UID":
            ranges = parse_seqset(take())
            return lambda s, m: uids_in(ranges, m.uid, ctx.top_uid)
        if k == "NOT":
            inner = key()
            return lambda s, m: not inner(s, m)
        if k == "OR":
            a, b = key(), key()
            return lambda s, m: a(s, m) or b(s, m)
        if k == "MODSEQ":
            value = take()
            if isinstance(value, bytes) or not str(value).isdigit():
                take()  # entry-type-req
                value = take()
            modseq = _int(value)
            ctx.uses_modseq = True
            return lambda s, m: m.modseq >= modseq
        if k[0].isdigit() or k[0] == "*":
            ranges = parse_seqset(token)
            return lambda s, m: uids_in(ranges, s, ctx.top_seq)
        raise BadCommand(f"unknown search key {token[:30]}")

    def parse_list(tokens: list) -> list[Pred]:
        if not tokens:
            raise BadCommand("empty search list")
        return [parse_search(tokens, ctx, uid_of)]

    preds = []
    while pos[0] < len(args):
        preds.append(key())
    if len(preds) == 1:
        return preds[0]
    return lambda s, m: all(p(s, m) for p in preds)


def _int(token: object) -> int:
    if isinstance(token, str) and token.isdigit():
        return int(token)
    raise BadCommand("expected a number")


def _date_pred(kind: str, day: date, get: Callable[[StoredMessage], date | None]) -> Pred:
    def pred(s: int, m: StoredMessage) -> bool:
        value = get(m)
        if value is None:
            return False
        if isinstance(value, datetime):
            value = value.date()
        if kind == "BEFORE":
            return value < day
        if kind == "ON":
            return value == day
        return value >= day

    return pred
