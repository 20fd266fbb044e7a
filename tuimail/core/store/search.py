"""Local full-text search helpers: the FTS5 query a user's words become, and the text of a
body that goes into the index."""

from __future__ import annotations

import binascii
import re

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_TYPE = re.compile(rb"^content-type:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.I | re.M)
_ENCODING = re.compile(rb"^content-transfer-encoding:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.I | re.M)
_CHARSET = re.compile(r'^charset\s*=\s*"?([^";\s]*)"?\s*$', re.I)
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_UUENCODED = re.compile(rb"^begin [0-7]{3,4} ", re.M)
_ATTACHED = re.compile(rb"^content-disposition:[ \t]*attachment", re.I | re.M)
_WORD = re.compile(r"\w[\w@.+-]*", re.UNICODE)
_FIELDS = {"subject": "subject", "from": "people", "to": "people", "body": "body"}


_ADDRESS_FIELDS = ("from", "to")


def address_words(text: str) -> list[tuple[str, str]]:
    """The (field, word) pairs of `from:word` and `to:word` in a query: the index keeps
    senders and recipients in one column ("people"), so these are checked again on the
    message's own sender (from) or recipients (to, Cc included)."""
    pairs = []
    for token in text.split():
        field, sep, rest = token.partition(":")
        if sep and field.lower() in _ADDRESS_FIELDS and rest:
            pairs.extend((field.lower(), word) for word in _WORD.findall(rest))
    return pairs


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _readings(text: str) -> list[list[str]]:
    """Words as the index's tokenizer (unicode61, remove_diacritics 2) may see them:
    runs of letters and digits, case folded, canonical decompositions' marks removed.
    SQLite removes some combining marks (diacritics: the word stays whole) and splits at
    others (a virama, most marks of other scripts), and knows the letters of Unicode 6.1
    only (a newer letter separates words there); so a text that is not ASCII has four
    readings: marks removed or separating, newer letters kept or separating (every
    non-ASCII letter, as which are newer is not known here)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.casefold())
    if decomposed.isascii():
        return [re.findall(r"[^\W_]+", decomposed)]
    bare = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    readings = []
    for marks_read in (bare, decomposed):
        readings.append(re.findall(r"[^\W_]+", marks_read))
        readings.append(re.findall(r"[^\W_]+", _NON_ASCII.sub(" ", marks_read)))
    return readings


def has_word(value: str | None, word: str) -> bool:
    """Whether every token of `word` starts a token of `value`, in one reading of the
    word and any of the value, as the index's prefix match does (so `from:nunez` finds
    "Ana Núñez <ana@x>"). It narrows what the index found, so it is never False for a
    word the index's prefix match finds in `value`."""
    tokens = [t for reading in _readings(value or "") for t in reading]
    return any(
        all(any(t.startswith(w) for t in tokens) for w in words) for words in _readings(word)
    )


def fts_query(text: str) -> str:
    """Words -> an FTS5 query where every word must match (prefix match on each).

    `subject:word`, `from:word`, `to:word`, `body:word` limit a word to a column (from
    and to: the people column, narrowed to the sender or the recipients by the store
    with address_words). User text never reaches FTS5 syntax: each word is quoted.
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


# Signatures are listed by the reader but are no file of the message's (as in other clients).
SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)


def body_text(raw: bytes, limit: int = 200_000) -> str:
    """Readable text of a message for the index (not for display). A single-part
    text/plain message (most mail) is decoded directly (plain_text: ~20x cheaper than the
    full parse and render, which every other message takes)."""
    return body_index(raw, limit)[0]


def body_index(raw: bytes, limit: int = 200_000) -> tuple[str, bool | None]:
    """The index text (body_text) and whether the reader lists a file in the message
    (signatures aside), from the same parse; None when that was not read (a plain text
    message decoded directly, or the parse failed): its header's guess stands."""
    end = _HEADER_END.search(raw)
    attached = end is not None and _ATTACHED.search(raw, 0, end.start()) is not None
    text = None if attached else plain_text(raw, limit)  # a text sent as a file: parsed
    if text is not None:
        return text, None
    try:
        from tuimail.core.mime import parse_message, render_message  # type: ignore[attr-defined]

        parsed = parse_message(raw)
        files = any(a.content_type not in SIGNATURE_TYPES for a in parsed.attachments)
        return render_message(parsed).as_text()[:limit], files or (
            None if parsed.too_complex else False
        )
    except Exception:
        pass
    try:
        import email
        from email._policybase import compat32  # email.policy: the whole header registry

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
        return "\n".join(chunks)[:limit], None
    except Exception:
        return raw.decode("utf-8", errors="replace")[:limit], None


def plain_text(raw: bytes, limit: int = 200_000) -> str | None:
    """The body of a single-part text/plain message, its transfer encoding and charset
    decoded as the full parse does (tuimail.core.mime.charsets), without parsing it as
    MIME; None for anything else (multipart, HTML, a header given twice, a parameter this
    does not read, a broken encoding): those take the full parse."""
    end = _HEADER_END.search(raw)
    if end is None:
        return None
    head = raw[: end.start()]  # the body is copied out only for a text/plain message
    types, encodings = _CONTENT_TYPE.findall(head), _ENCODING.findall(head)
    if len(types) > 1 or len(encodings) > 1:
        return None
    charset = None
    if types:
        try:
            value = types[0].decode("ascii")
        except UnicodeDecodeError:
            return None
        kind, *params = (part.strip() for part in " ".join(value.split()).split(";"))
        if kind.lower() != "text/plain":
            return None
        for param in filter(None, params):
            found = _CHARSET.match(param)
            if found:
                charset = found.group(1)
            elif param.replace(" ", "").lower() not in ("format=flowed", "format=fixed"):
                return None  # charset*= (RFC 2231), delsp=yes, the unknown: the full parse
    encoding = b" ".join(encodings[0].split()).lower() if encodings else b"7bit"
    if encoding in (b"7bit", b"8bit", b"binary") and _ascii_as_is(charset) and raw.isascii():
        # Each byte is the character it reads as, whatever the body's length: only the
        # first `limit` are copied and decoded (the same text, not a 56 MB string).
        start = end.end()
        if raw.find(b"begin ", start) != -1 and _UUENCODED.search(raw, start):
            return None
        return _indexed(raw[start : start + limit].decode("ascii"), limit)
    body = raw[end.end() :]
    try:
        if encoding == b"quoted-printable":
            body = binascii.a2b_qp(body)
        elif encoding == b"base64":
            body = binascii.a2b_base64(body)
        elif encoding not in (b"7bit", b"8bit", b"binary"):
            return None
    except (binascii.Error, ValueError):
        return None
    if b"begin " in body and _UUENCODED.search(body):
        return None  # the full parse takes the uuencoded file out of the text
    from tuimail.core.mime.charsets import decode_bytes

    return _indexed(decode_bytes(body, charset)[0], limit)


def _indexed(text: str, limit: int) -> str:
    """The first `limit` characters of a decoded body as the index keeps them."""
    from tuimail.core.sanitize import sanitize

    text = text[:limit].replace("\r\n", "\n")
    if text.isascii() and not _ASCII_CONTROL.search(text):
        return text  # nothing sanitize() would change (it is slow on long text)
    return sanitize(text, multiline=True)  # as the full parse: word boundaries alike


def _ascii_as_is(charset: str | None) -> bool:
    """Whether ASCII bytes declared as `charset` decode to the same characters (as
    charsets.decode_bytes decodes them): no charset, US-ASCII, UTF-8, ISO 8859, windows."""
    from tuimail.core.mime.charsets import codec_for

    codec = codec_for(charset)
    return codec is None or codec == "utf-8" or codec.startswith(("iso8859-", "cp125"))
