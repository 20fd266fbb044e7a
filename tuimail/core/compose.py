"""Composing messages: new, reply, reply-all, forward; the `Draft` and its MIME form.

No UI here. A `Draft` is what the user edits; `build_message` turns it into an
`EmailMessage` ready for SMTP (CRLF, RFC 2047 headers, folded lines). Every header
value that came from an incoming message goes through `clean_header`, so a CR/LF in
a subject or a name can never start a new header.
"""

from __future__ import annotations

import errno
import mimetypes
import os
import re
import shlex
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path

from tuimail.core.account import Account
from tuimail.core.identities import Identity, addressed_to, identities, signature_block
from tuimail.core.mime import spliced, utf8_headers
from tuimail.core.mime.header_block import header_block
from tuimail.core.mime.header_safe import address_entry, plausible_address, set_unstructured
from tuimail.core.mime.headers import bare_cr_as_blank, parse_date
from tuimail.core.mime.mbox_from import is_mbox_from

__all__ = [
    "Attachment",
    "Draft",
    "EditorError",
    "build_message",
    "clean_header",
    "draft_from_message",
    "edit_in_editor",
    "editor_template",
    "envelope_recipients",
    "message_bytes",
    "forward",
    "new_draft",
    "parse_editor_text",
    "parse_raw",
    "reply",
]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_MSGID = re.compile(r"<[!-;=?-~]+>")  # ASCII only: no header can carry another one
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a MIME type or subtype (RFC 2045)
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw)(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_FWD_PREFIX = re.compile(r"^\s*(fwd?|wg)\s*:\s*", re.IGNORECASE)
# A message bigger than this forwarded as an attachment is not parsed whole (only its
# header is read) nor parsed and written again to see whether the stdlib would change
# it: it goes as received (_attach_exact). A 56 MB one cost ~450 MB each way.
BIG_FORWARD = 1 << 20
MAX_REFERENCES = 20


class EditorError(ValueError):
    """The editor could not be run, or its text could not be read as a message, as data:
    `problem` (EDITOR_PROBLEMS) and what its words need in `data`; the edge words it
    (tuimail.words.compose.editor_words). Its text is a record for logs."""

    def __init__(self, problem: str, **data: object) -> None:
        super().__init__(f"editor: {problem}")
        self.problem = problem
        self.data = data


# EditorError.problem: not-an-address (address), bad-address (address, detail: the email
# library's words), no-blank-line, not-a-header (line: its number, text), unknown-header
# (line, name, allowed), no-from, no-editor ($EDITOR empty), editor-failed (editor,
# detail: the system's words), editor-status (status).
EDITOR_PROBLEMS = (
    "not-an-address",
    "bad-address",
    "no-blank-line",
    "not-a-header",
    "unknown-header",
    "no-from",
    "no-editor",
    "editor-failed",
    "editor-status",
)


@dataclass
class Attachment:
    filename: str
    data: bytes
    content_type: str | None = None  # None: guessed from the name
    # text/*: the charset its bytes are in (carried from a forwarded or reopened message,
    # so the recipient reads them as the sender wrote them); None: not declared
    charset: str | None = None

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> Attachment:
        """A file's bytes. Only a regular file (or a link to one): reading a FIFO waits
        for ever and a device such as /dev/zero never ends (OSError EINVAL instead)."""
        p = Path(path)
        # Non-blocking open: a FIFO would wait here for a writer.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(p))
            if not stat.S_ISREG(mode):
                raise OSError(errno.EINVAL, "not a regular file", str(p))
            return cls(filename=p.name, data=handle.read())

    @property
    def mime_type(self) -> str:
        if self.content_type:
            return self.content_type
        guessed, encoding = mimetypes.guess_type(self.filename, strict=False)
        if guessed is None or encoding is not None:  # .tar.gz is gzip, not tar
            if encoding == "gzip":
                return "application/gzip"
            return "application/octet-stream"
        return guessed


@dataclass
class Draft:
    from_addr: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    extra_headers: dict[str, str] = field(default_factory=dict)
    message_id: str | None = None  # kept when a draft is reopened and saved again


# -- helpers ---------------------------------------------------------------------------


def clean_header(value: object) -> str:
    """A header value safe to set: CR/LF folded into spaces, other controls dropped."""
    text = "" if value is None else str(value)
    text = re.sub(r"[\r\n\t\x85\u2028\u2029]+", " ", text)  # every line break str knows
    text = _SURROGATE.sub("\ufffd", text)  # undecodable bytes: no header can hold them
    return _CONTROL.sub("", text).strip()


def parse_raw(raw: bytes | Message) -> EmailMessage:
    """An incoming message as an EmailMessage (policy.default)."""
    if isinstance(raw, EmailMessage):
        return raw
    if isinstance(raw, Message):
        raw = raw.as_bytes()
    raw = bare_cr_as_blank(raw)  # the fields the servers (and the reader) read
    try:
        return BytesParser(policy=policy.default).parsebytes(raw)
    except RecursionError:
        # MIME nested deeper than the stdlib parser follows (it recurses per level): the
        # headers, and the body kept as one text, rather than a traceback.
        return BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)


def _raw_values(msg: Message, name: str) -> list[str]:
    """A header's raw values (no registry parsing, which raises on hostile input)."""
    values = []
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            if not isinstance(value, str):
                value = str(value)
            if any("\udc80" <= c <= "\udcff" for c in value):  # raw 8-bit (RFC 6532 UTF-8)
                from tuimail.core.mime.charsets import decode_header_bytes

                value = decode_header_bytes(value.encode("utf-8", "surrogateescape"))
            if key.lower() == "from" and is_mbox_from(value):
                continue  # a mangled mbox separator, not the author (as the list does)
            values.append(re.sub(r"\r?\n(?=[ \t])", "", value))  # unfold
    return values


def decode_words(value: str) -> str:
    """RFC 2047 encoded words to text, tolerant of broken ones: the reader's decoder
    (charset aliases such as gb2312 read as GB18030, bad bytes replaced, unknown charsets
    guessed), never the undecoded words, which a reply would carry on as garbage."""
    from tuimail.core.mime.headers import decode_rfc2047

    try:
        return decode_rfc2047(value)
    except Exception:  # it says it never raises; a header is not worth a crash
        return value


def _header(msg: Message, name: str) -> str:
    values = _raw_values(msg, name)
    return clean_header(decode_words(values[0])) if values else ""


def _addresses(msg: Message, *names: str) -> list[str]:
    """The addresses of these fields; with those a downgraded (ASCII) copy shows only in
    a group's name (a UTF-8 address, RFC 6857: mime.downgraded), after their field's."""
    from tuimail.core.mime.downgraded import recovered_addresses

    out = []
    for value in (v for name in names for v in _raw_values(msg, name)):
        misread = False
        for display, addr in getaddresses([value]):
            addr = clean_header(addr)
            if plausible_address(addr):
                out.append(format_address(decode_words(display), addr))
            else:  # "@" and other debris of a field the parser misread
                misread = misread or "@" in addr
        if misread:  # what the field still says plainly: its <addresses>
            known = {address_of(entry) for entry in out}
            out += [a for a in _bracketed(value) if a.lower() not in known]
        out += [format_address(d, a) for d, a in recovered_addresses(value)]
    return out


def _bracketed(value: str) -> list[str]:
    """The <local@domain> addresses written in `value` (its names left out): what a
    field too broken for the parser still says plainly."""
    found = (clean_header(a) for a in re.findall(r"<([^<>]*)>", value))
    return list(dict.fromkeys(a for a in found if plausible_address(a)))


def _addresses_as_written(msg: Message, name: str) -> list[str]:
    """A draft's recipients as the person left them: a half-typed one ("carol", "bob@")
    is kept, for the send-time check to name, never silently dropped."""
    out = []
    for value in _raw_values(msg, name):
        pairs = [(d, a) for d, a in getaddresses([value]) if d or a]
        if not pairs:  # too broken for the parser ("dave@"): keep the words
            out += [clean_header(decode_words(v)) for v in value.split(",") if v.strip()]
            continue
        for display, addr in pairs:
            addr = clean_header(addr)
            if addr and "@" in addr:
                out.append(format_address(decode_words(display), addr))
            else:
                out.append(clean_header(decode_words(display)) or clean_header(decode_words(addr)))
    return out


def format_address(display: str | None, addr: str) -> str:
    """`Name <addr>` in Unicode (quoted where needed); encoded only when the message is.
    Whatever the name holds (it may come from received mail), the entry reads back as
    `addr` and can be written (header_safe), so it never stops Send."""
    display, addr = clean_header(display), clean_header(addr)
    if not display:
        return addr
    try:
        return address_entry(display, addr)
    except Exception:  # it says it never raises; a name is not worth a crash
        return addr


def address_of(entry: str) -> str:
    """The bare, lower-cased address of `Name <a@b>`."""
    return (getaddresses([entry])[0][1] or entry).strip().lower()


def _dedupe(entries: list[str], exclude: set[str]) -> list[str]:
    seen = set(exclude)
    out = []
    for entry in entries:
        key = address_of(entry)
        if key and key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def own_addresses(account: Account) -> set[str]:
    own = {account.email.lower()}
    aliases = account.extra.get("aliases") if isinstance(account.extra, dict) else None
    if isinstance(aliases, list | tuple):
        own.update(str(a).lower() for a in aliases)
    own.update(identity.key for identity in identities(account))
    return own


def message_ids(value: str | None) -> list[str]:
    """The `<id>` tokens in a Message-ID / References / In-Reply-To value."""
    return _MSGID.findall(value or "")


def _from_header(account: Account, identity: Identity | None = None) -> str:
    if identity is not None:
        return format_address(identity.name, identity.email)
    return format_address(account.display_name, account.email)


def _signature_block(account: Account, identity: Identity | None = None) -> str:
    return signature_block(identity.signature if identity else account.signature)


def new_draft(
    account: Account,
    *,
    to: list[str] | None = None,
    subject: str = "",
    body: str = "",
    identity: Identity | None = None,
) -> Draft:
    """A new message from `identity` (default: the account's own address)."""
    text = body
    sig = _signature_block(account, identity)
    if sig:
        text = (text.rstrip("\n") + "\n" if text else "\n") + sig
    return Draft(
        from_addr=_from_header(account, identity), to=list(to or []), subject=subject, body=text
    )


# -- reading the message being answered -----------------------------------------------


def body_text(msg: EmailMessage, raw: bytes | None = None, parsed=None) -> str:
    """The readable text of a message, for quoting (plain preferred, else HTML stripped).
    `raw`: the message's own bytes, when at hand (re-serialising `msg` refolds every
    header: seconds for a To of 20,000 addresses); `parsed`: the reader's parse of them,
    when the caller made it already."""
    try:
        from tuimail.core.mime import parse_message  # the reader's parser: charsets, HTML

        if parsed is None:
            parsed = parse_message(raw if raw is not None else msg.as_bytes())
        plain = [p.text for p in parsed.body if p.kind == "plain"]
        if plain:
            return "\n".join(plain)
        html = [p.text for p in parsed.body if p.kind == "html"]
        if html:
            from tuimail.core.mime.html import html_to_text

            return "\n".join(html_to_text(h).text for h in html)
    except Exception:  # fall back to the stdlib below
        pass
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _part_text(part)
    if part.get_content_subtype() == "html":
        text = _html_to_text(text)
    return text


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()
        if isinstance(content, str):
            return content
    except (LookupError, ValueError, AssertionError):
        pass
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except (LookupError, ValueError):  # unknown, or not a name at all ("utf\x008")
        return payload.decode("utf-8", "replace")


def _html_to_text(html: str) -> str:
    from html import unescape

    html = re.sub(r"(?is)<(script|style).*?</\1>", "", html)
    html = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h\d>", "\n", html)
    text = unescape(re.sub(r"<[^>]+>", "", html))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _attribution(msg: EmailMessage) -> str:
    sender = _addresses(msg, "from")
    who = "someone"
    if sender:
        name, addr = getaddresses([sender[0]])[0]
        who = f"{name} <{addr}>" if name else addr
    date = _header(msg, "date")
    when = ""
    if date:
        parsed = parse_date(date)  # an impossible date (year 0000) is quoted as written
        when = parsed.strftime("%a, %d %b %Y at %H:%M") if parsed is not None else date
    return f"On {when}, {who} wrote:" if when else f"{who} wrote:"


def quote(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    return "\n".join(">" + line if line.startswith(">") else "> " + line for line in lines)


def _threading(msg: EmailMessage) -> tuple[str | None, list[str]]:
    parent = message_ids(_header(msg, "message-id"))
    refs = message_ids(_header(msg, "references"))
    if not refs:
        refs = message_ids(_header(msg, "in-reply-to"))[:1]
    if parent:
        refs = [r for r in refs if r != parent[0]] + [parent[0]]
    if len(refs) > MAX_REFERENCES:  # keep the root and the most recent ones
        refs = refs[:1] + refs[-(MAX_REFERENCES - 1) :]
    return (parent[0] if parent else None), refs


# -- reply and forward -----------------------------------------------------------------


class NoListAddress(ValueError):
    """A reply to the list was asked for a message with no usable List-Post. `why`:
    "no-list-post" (the message has none) or "posts-refused" (List-Post: NO); the words
    are the edge's (tuimail.words)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def list_post(msg: Message) -> str | None:
    """The list's posting address from List-Post (RFC 2369): the first mailto: in angle
    brackets; None when there is none. `List-Post: NO` raises NoListAddress."""
    values = _raw_values(msg, "list-post")
    if not values:
        return None
    value = decode_words(values[0]).strip()
    if value.upper() == "NO" or value.upper().startswith("NO "):
        raise NoListAddress("posts-refused")
    for target in re.findall(r"<\s*([^>]*)>", value):
        if target.strip().lower().startswith("mailto:"):
            from tuimail.core.mailto import parse_mailto

            try:
                to = parse_mailto(target.strip()).to
            except ValueError:
                continue
            for entry in to:
                addr = clean_header(entry)
                if "@" in addr and " " not in addr:
                    return addr
    return None


def reply(
    original: bytes | Message,
    account: Account,
    *,
    reply_all: bool = False,
    to_list: bool = False,
) -> Draft:
    """A reply: to Reply-To (or From); with reply_all, everyone but the user; with
    to_list, the list's List-Post address only (NoListAddress when there is none)."""
    msg = parse_raw(original)
    own = own_addresses(account)
    identity = addressed_to(msg, account)  # answered as the address it was sent to
    direct = _addresses(msg, "reply-to") or _addresses(msg, "from")
    if to_list:
        address = list_post(msg)
        if address is None:
            raise NoListAddress("no-list-post")
        direct = [address]
    to = list(direct)
    cc: list[str] = []
    if reply_all:
        to += _addresses(msg, "to")
        cc = _addresses(msg, "cc")
    to = _dedupe(to, own)
    if not to and direct:  # answering one's own message: keep its recipients
        to = _dedupe(_addresses(msg, "to"), set()) or direct
    cc = _dedupe(cc, own | {address_of(t) for t in to})
    subject = _header(msg, "subject")
    subject = "Re: " + _REPLY_PREFIX.sub("", subject) if subject else "Re:"
    in_reply_to, refs = _threading(msg)
    sig = _signature_block(account, identity)
    raw = original if isinstance(original, bytes) else None
    body = _attribution(msg) + "\n" + quote(body_text(msg, raw)) + "\n\n" + sig
    return Draft(
        from_addr=_from_header(account, identity),
        to=to,
        cc=cc,
        subject=subject.strip(),
        body=body,
        in_reply_to=in_reply_to,
        references=refs,
    )


def forward(original: bytes | Message, account: Account, *, as_attachment: bool = False) -> Draft:
    """A forward: inline (quoted headers + text + attachments) or as message/rfc822."""
    raw = original if isinstance(original, bytes) else parse_raw(original).as_bytes()
    msg = parse_raw(header_block(raw) if as_attachment and len(raw) > BIG_FORWARD else raw)
    subject = _header(msg, "subject")
    subject = "Fwd: " + _FWD_PREFIX.sub("", subject) if subject else "Fwd:"
    identity = addressed_to(msg, account)  # forwarded as the address it was sent to
    sig = _signature_block(account, identity)
    draft = Draft(from_addr=_from_header(account, identity), subject=subject.strip())
    whole = Attachment(
        re.sub(r"[^\w .-]+", "_", _header(msg, "subject") or "message")[:60] + ".eml",
        raw,
        "message/rfc822",
    )
    if as_attachment:
        draft.attachments.append(whole)
        draft.body = "\n" + sig if sig else ""
    else:
        lines = ["", "---------- Forwarded message ----------"]
        for name in ("From", "Date", "Subject", "To", "Cc"):
            value = _header(msg, name)
            if value:
                lines.append(f"{name}: {value}")
        lines.append("")
        parsed = _parsed(raw)  # once, for the quoted text and the attachments
        text = body_text(msg, raw, parsed).rstrip("\n")
        draft.body = "\n".join(lines) + "\n" + text + "\n\n" + sig
        if parsed is None or not _whole(parsed):
            # The reader could not take all of it in (nested too deep, a text cut short,
            # out of time): the quoted text may be partial, so the message goes along
            # whole, attached, rather than losing what the quote and the list miss.
            draft.attachments.append(whole)
        else:
            draft.attachments.extend(_forwarded_attachments(parsed, msg))
    _, refs = _threading(msg)
    draft.references = refs  # a forward stays findable in the thread, no In-Reply-To
    return draft


_REPORTS = (  # machine-readable reports the reader shows as text (RFC 3464, 8098, 5965, 6533)
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "message/global-disposition-notification",
    "message/feedback-report",
)


def _parsed(raw: bytes):
    """The reader's parse of `raw`; None when the parser failed."""
    from tuimail.core.mime import parse_message

    try:
        return parse_message(raw)
    except Exception:
        return None


def _whole(parsed) -> bool:
    """Whether the reader took in all of the message: False when it gave up (too
    complex, out of time) or cut a text short."""
    return not (parsed.too_complex or any(n.kind == "text-truncated" for n in parsed.notes))


def _forwarded_attachments(parsed, msg: EmailMessage) -> list[Attachment]:
    """What an inline forward carries: every attachment the reader lists (`parsed`: its
    parser finds them in multipart/related, digests, uuencoded blocks, a message that is
    one attachment), plus the machine-readable reports (a bounce's delivery-status), which
    the reader shows as text."""
    out = [
        Attachment(clean_header(a.filename) or "attachment", a.payload, a.content_type, a.charset)
        for a in parsed.attachments
        if not a.nested  # it travels inside its message, attached already
    ]
    for part in msg.iter_attachments():
        ctype = part.get_content_type()
        reports = ctype in _REPORTS
        if out and not reports:
            continue
        data = part.get_payload(decode=True)
        if data is None and ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        elif data is None:  # a delivery-status (every block of it), other multiparts
            whole = part.as_bytes(policy=policy.SMTP)
            data = whole if part.get_content_maintype() != "message" else _body(whole)
        out.append(Attachment(clean_header(part.get_filename() or "attachment"), data, ctype))
    return out


# -- building the MIME message ---------------------------------------------------------


def _body(raw: bytes) -> bytes:
    """What follows a part's header block (CRLF)."""
    return raw.partition(b"\r\n\r\n")[2]


def _set_body(msg: EmailMessage, body: str) -> None:
    text = body if body.endswith("\n") or not body else body + "\n"
    if re.search(r"\r(?!\n)", text):  # a lone CR survives only in base64
        msg.set_content(text.encode("utf-8"), maintype="text", subtype="plain", cte="base64")
        msg.set_param("charset", "utf-8")
    else:
        text = text.replace("\r\n", "\n")
        params = None
        if any(len(line) > FLOW_AT for line in text.split("\n")):
            text, params = flow(text), {"format": "flowed"}  # readers re-wrap it
        # 8bit would need the server's 8BITMIME; quoted-printable is safe everywhere.
        cte = None if text.isascii() else "quoted-printable"
        msg.set_content(text, charset="utf-8", cte=cte, params=params)


FLOW_AT = 78  # a body with a longer line is sent as format=flowed (RFC 3676)
FLOW_WIDTH = 72


def flow(text: str, width: int = FLOW_WIDTH) -> str:
    """`text` as RFC 3676 format=flowed: long lines broken after a space (the space
    stays at the end: a soft break that readers join again), quote markers repeated on
    every piece, lines space-stuffed where needed, the "-- " signature line kept.
    A word longer than the width is not cut. Trailing spaces of a line are dropped (in
    flowed text they would mean "joins the next line")."""
    out: list[str] = []
    for line in text.split("\n"):
        if line == "-- ":
            out.append(line)
            continue
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if depth and content.startswith(" "):
            content = content[1:]
        content = content.rstrip(" ")
        for piece in _flow_pieces(content, max(20, width - depth - 1)):
            stuffed = depth or piece.startswith((" ", "From ", ">"))
            out.append(">" * depth + (" " if stuffed else "") + piece)
    return "\n".join(out)


def _flow_pieces(content: str, width: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for token in re.findall(r"[^ ]+ *| +", content):  # breaks only at spaces
        if current and len(current) + len(token.rstrip(" ")) > width:
            pieces.append(current)
            current = ""
        current += token
    pieces.append(current)
    return pieces


def build_message(
    draft: Draft,
    account: Account,
    *,
    include_bcc: bool = False,
    date: object | None = None,
    splice: bool = False,
) -> EmailMessage:
    """The draft as an RFC 5322 message (Bcc only when include_bcc, for drafts). With
    `splice`, big attachments are tokens until spliced.written() writes it."""
    msg = EmailMessage(policy=policy.SMTP)
    fields = {
        "From": [clean_header(draft.from_addr) or _from_header(account)],
        "To": [clean_header(v) for v in draft.to if clean_header(v)],
        "Cc": [clean_header(v) for v in draft.cc if clean_header(v)],
        "Bcc": [clean_header(v) for v in draft.bcc if clean_header(v)] if include_bcc else [],
    }
    # An address with a UTF-8 local part makes the header block UTF-8 (message_bytes):
    # domains stay as written then; in an ASCII header they go out in A-labels.
    utf8 = utf8_headers.needs_utf8([v for values in fields.values() for v in values])
    for name, values in fields.items():
        if values:
            msg[name] = ", ".join(v if utf8 else _ascii_domains(v) for v in values)
    set_unstructured(msg, "Subject", clean_header(draft.subject))
    if date is None:
        from datetime import datetime

        date = datetime.now().astimezone()
    msg["Date"] = format_datetime(date)  # type: ignore[arg-type]
    mid = message_ids(draft.message_id)
    msg["Message-ID"] = mid[0] if mid else make_msgid(domain=account.domain or None)
    parent = message_ids(draft.in_reply_to)
    if parent:
        msg["In-Reply-To"] = parent[0]
    refs = [r for ref in draft.references for r in message_ids(ref)]
    if refs:
        msg["References"] = " ".join(refs)
    for name, value in draft.extra_headers.items():
        name = clean_header(name)
        if re.fullmatch(r"[!-9;-~]+", name) and name.lower() not in _RESERVED_HEADERS:
            value = clean_header(value)
            structured = name.lower() in utf8_headers.ADDRESS_FIELDS
            if structured:
                msg[name] = value
            else:
                set_unstructured(msg, name, value)
    msg["MIME-Version"] = "1.0"
    _set_body(msg, draft.body)
    for att in draft.attachments:
        _attach(msg, att, splice=splice)
    return msg


def _ascii_domains(value: str) -> str:
    """An address-list value with IDNA domains in A-labels (ASCII values as given)."""
    if value.isascii():
        return value
    return ", ".join(utf8_headers.ascii_domains(e) for e in split_recipients(value))


_RESERVED_HEADERS = {
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}


def _attach(msg: EmailMessage, att: Attachment, *, splice: bool = False) -> None:
    maintype, _, subtype = att.mime_type.lower().partition("/")
    if not (_TOKEN.fullmatch(maintype) and _TOKEN.fullmatch(subtype)):
        maintype, subtype = "application", "octet-stream"  # a garbled type from a message
    filename = clean_header(att.filename) or "attachment"
    if (maintype, subtype) == ("message", "rfc822") and len(att.data) > BIG_FORWARD:
        _attach_exact(msg, _received(att.data), filename, splice=splice)
        return
    if (maintype, subtype) == ("message", "rfc822"):
        try:
            inner = BytesParser(policy=policy.SMTP).parsebytes(att.data)
            written = inner.as_bytes(policy=policy.SMTP)
        except Exception:  # the stdlib cannot read it (MIME nested deeper than its
            # recursion goes) or write it back (8-bit bytes in a multipart whose boundary
            # never comes): the exact bytes go as a file instead (below)
            maintype, subtype = "application", "octet-stream"
        else:
            exact = _received(att.data)
            if written != exact:  # the stdlib rewrote it (a header line it cannot
                # read, such as ": text", dropped): the message goes as received
                _attach_exact(msg, exact, filename)
                return
            msg.add_attachment(inner, disposition="attachment", filename=filename)
            return
    if (maintype, subtype) == ("message", "global"):  # an RFC 6532 message: as received
        _attach_exact(msg, _received(att.data), filename, subtype="global", splice=splice)
        return
    if maintype == "message":  # a bounce's delivery-status, a read receipt, ...
        # Never base64 (RFC 2046: message/* is 7bit or 8bit), and the stdlib cannot
        # write one given as bytes: the part is read as the parser would have made it.
        head = f"Content-Type: message/{subtype or 'rfc822'}\r\n\r\n".encode("ascii", "replace")
        part = BytesParser(policy=policy.SMTP).parsebytes(head + att.data)
        part.add_header("Content-Disposition", "attachment", filename=filename)
        if msg.get_content_type() != "multipart/mixed":
            msg.make_mixed()
        msg.attach(part)
        return
    # Everything else as bytes in base64: what arrives decodes to exactly these bytes.
    big = splice and len(att.data) > spliced.BIG
    msg.add_attachment(
        spliced.token() if big else att.data,
        maintype=maintype or "application",
        subtype=subtype or "octet-stream",
        filename=filename,
    )
    if big:  # the same part, its base64 written by spliced.written
        spliced.mark_base64(msg.get_payload()[-1], att.data)
    if maintype == "text" and att.charset and _CHARSET.fullmatch(att.charset):
        msg.get_payload()[-1].set_param("charset", att.charset)


_CHARSET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,39}")  # a charset name, nothing else


def _received(data: bytes) -> bytes:
    """A forwarded message's bytes with CRLF line ends and no leading mbox `From ` line
    (what the stdlib would leave of them if it changed nothing else)."""
    if data.count(b"\n") != data.count(b"\r\n"):  # (else no copy of a big message)
        data = re.sub(rb"\r?\n", b"\r\n", data)
    if not data.startswith(b"From "):
        return data
    first, sep, rest = data.partition(b"\r\n")
    return rest if sep else data


class _Received(str):
    """A message part's payload kept as the bytes it was made from (surrogate-escaped):
    the generator writes a message part's text payload through `.encode("ascii")`,
    which would refuse its 8-bit bytes; this gives them back unchanged."""

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return str.encode(self, "ascii", "surrogateescape")


def _attach_exact(
    msg: EmailMessage, exact: bytes, filename: str, *, subtype: str = "rfc822", splice: bool = False
) -> None:
    """A message/rfc822 (or `subtype`) part whose content is `exact` byte for byte (never
    parsed again on the way out: the generator writes a text payload of a message part as
    it is). With `splice`, a big one is a token until spliced.written() writes it."""
    part = EmailMessage(policy=policy.SMTP)
    part["Content-Type"] = f"message/{subtype}"
    if not exact.isascii():
        part["Content-Transfer-Encoding"] = "8bit"
    part.add_header("Content-Disposition", "attachment", filename=filename)
    if splice and len(exact) > spliced.BIG:
        part.set_payload(spliced.exact(spliced.token().decode("ascii"), exact))
    else:
        part.set_payload(_Received(exact.decode("ascii", "surrogateescape")))
    if msg.get_content_type() != "multipart/mixed":
        msg.make_mixed()
    msg.attach(part)


_DOMAIN = re.compile(r"^(?:[^\W_](?:[\w-]*[^\W_])?\.)*[^\W_](?:[\w-]*[^\W_])?\.?$|^\[[^\[\]\s]+\]$")


def split_recipients(value: str) -> list[str]:
    """A comma-separated To/Cc/Bcc value as its entries (commas inside quotes or <> kept)."""
    out, current, quoted, angle = [], [], False, False
    escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "<" and not quoted:
            angle = True
        elif ch == ">" and not quoted:
            angle = False
        elif ch in ",;" and not quoted and not angle:
            out.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    out.append("".join(current).strip())
    return [entry for entry in out if entry]


def valid_address(entry: str) -> bool:
    """One recipient (`a@b.example` or `Name <a@b.example>`) with a local part and a
    domain that can be delivered to."""
    if _CONTROL.search(entry) or "\n" in entry or "\r" in entry:
        return False
    parsed = getaddresses([entry])
    if len(parsed) != 1:
        return False
    addr = parsed[0][1].strip()
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or " " in addr:
        return False
    if not _DOMAIN.match(domain):
        return False
    if not local.isascii():  # SMTPUTF8 (RFC 6531): the stdlib rejects it, the server may not
        return local.isprintable() and not any(c in local for c in ' <>()[]\\,;:@"')
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError, HeaderParseError):
        return False
    return True


def invalid_recipients(*values: str) -> list[str]:
    """The entries of these To/Cc/Bcc values that are not e-mail addresses, in order."""
    return [
        entry
        for value in values
        for entry in split_recipients(value or "")
        if not valid_address(entry)
    ]


def envelope_recipients(draft: Draft) -> list[str]:
    """Bare addresses for RCPT TO: To + Cc + Bcc, each once."""
    out: list[str] = []
    for _, addr in getaddresses([clean_header(v) for v in draft.to + draft.cc + draft.bcc]):
        addr = addr.strip()
        if addr and "@" in addr and addr.lower() not in {a.lower() for a in out}:
            out.append(addr)
    return out


def draft_from_message(raw: bytes | Message) -> Draft:
    """Read a saved draft (or any message) back into a Draft."""
    msg = parse_raw(raw)
    body_part = msg.get_body(preferencelist=("plain",))
    draft = Draft(
        from_addr=_header(msg, "from"),
        to=_addresses_as_written(msg, "to"),
        cc=_addresses_as_written(msg, "cc"),
        bcc=_addresses_as_written(msg, "bcc"),
        subject=_header(msg, "subject"),
        body=_editable_text(body_part) if body_part is not None else "",
        in_reply_to=(message_ids(_header(msg, "in-reply-to")) or [None])[0],
        references=message_ids(_header(msg, "references")),
        message_id=(message_ids(_header(msg, "message-id")) or [None])[0],
    )
    parts = msg.get_payload() if msg.is_multipart() else []
    exact = _part_bodies(raw, msg) if isinstance(raw, bytes) else None
    for part in msg.iter_attachments():
        index = next((i for i, p in enumerate(parts) if p is part), None)
        if part.get_content_type() == "message/rfc822" and exact and index is not None:
            data = exact[index]  # as written: the stdlib's rewrite drops lines it cannot read
        elif part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            data = inner[0].as_bytes() if isinstance(inner, list) and inner else b""
        else:
            data = part.get_payload(decode=True) or b""
        ctype = part.get_content_type()
        charset = part.get_content_charset() if ctype.startswith("text/") else None
        name = clean_header(part.get_filename() or "attachment")
        draft.attachments.append(Attachment(name, data, ctype, charset))
    return draft


def _editable_text(part: Message) -> str:
    """A saved body as it was written: a format=flowed one (as long lines are saved) with
    its soft breaks joined again, so editing and sending it again flows it afresh."""
    text = _part_text(part).replace("\r\n", "\n")
    if str(part.get_param("format", "")).lower() != "flowed":
        return text
    from tuimail.core.mime.quotes import unflow

    delsp = str(part.get_param("delsp", "")).lower() == "yes"
    return unflow(text, delsp=delsp)


def _part_bodies(raw: bytes, msg: Message) -> list[bytes] | None:
    """The bodies of a multipart message's top-level parts as they are in `raw` (between
    each part's blank line and the line break before the next boundary line), in the
    parsed order; None when that split does not give exactly the parsed parts."""
    boundary = msg.get_boundary()
    if not boundary or not msg.is_multipart():
        return None
    mark = re.escape(boundary.encode("ascii", "surrogateescape"))
    lines = list(re.finditer(rb"(?:\r\n|\A)--" + mark + rb"(--)?[ \t]*(?:\r\n|\Z)", raw))
    bodies = []
    for here, after in zip(lines, lines[1:], strict=False):
        if here.group(1):  # the closing boundary: the rest is the epilogue
            break
        segment = raw[here.end() : after.start()]
        if segment.startswith(b"\r\n"):  # a part with no header lines
            bodies.append(segment[2:])
            continue
        _head, blank, body = segment.partition(b"\r\n\r\n")
        bodies.append(body if blank else b"")
    parts = msg.get_payload()
    return bodies if isinstance(parts, list) and len(bodies) == len(parts) else None


# -- $EDITOR ---------------------------------------------------------------------------

_EDITOR_FIELDS = ("From", "To", "Cc", "Bcc", "Subject")
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]?(.*)$")


def editor_template(draft: Draft, fields: tuple[str, ...] = _EDITOR_FIELDS) -> str:
    """Headers, a blank line, the body (ending in a newline): what the editor shows."""
    values = {
        "From": draft.from_addr,
        "To": ", ".join(draft.to),
        "Cc": ", ".join(draft.cc),
        "Bcc": ", ".join(draft.bcc),
        "Subject": draft.subject,
    }
    lines = [f"{name}: {clean_header(values[name])}" for name in fields]
    body = draft.body if not draft.body or draft.body.endswith("\n") else draft.body + "\n"
    return "\n".join(lines) + "\n\n" + body


def _split_addresses(value: str) -> list[str]:
    out = []
    for display, addr in getaddresses([value]):
        if not addr:
            continue
        if "@" not in addr:
            raise EditorError("not-an-address", address=addr)
        try:
            Address(addr_spec=addr)
        except (ValueError, IndexError, HeaderParseError) as exc:
            raise EditorError("bad-address", address=addr, detail=str(exc)) from exc
        out.append(format_address(display, addr))
    return out


def parse_editor_text(text: str, base: Draft | None = None) -> Draft:
    """The edited text back into a Draft (keeping base's attachments and threading)."""
    base = base or Draft()
    text = text.replace("\r\n", "\n")
    head, sep, body = text.partition("\n\n")
    if not sep:
        if text.strip() and all(_HEADER_LINE.match(x) for x in text.strip().split("\n")):
            head, body = text, ""
        else:
            raise EditorError("no-blank-line")
    fields: dict[str, str] = {}
    current: str | None = None
    for number, line in enumerate(head.split("\n"), start=1):
        if line[:1] in (" ", "\t") and current:
            fields[current] += " " + line.strip()
            continue
        m = _HEADER_LINE.match(line)
        if not m:
            raise EditorError("not-a-header", line=number, text=line)
        name = m.group(1).title()
        if name not in _EDITOR_FIELDS:
            raise EditorError(
                "unknown-header", line=number, name=m.group(1), allowed=list(_EDITOR_FIELDS)
            )
        current = name
        fields[name] = m.group(2).strip()
    draft = Draft(
        from_addr=fields.get("From", base.from_addr),
        to=_split_addresses(fields.get("To", "")),
        cc=_split_addresses(fields.get("Cc", "")),
        bcc=_split_addresses(fields.get("Bcc", "")),
        subject=fields.get("Subject", ""),
        body=body,
        attachments=list(base.attachments),
        in_reply_to=base.in_reply_to,
        references=list(base.references),
        extra_headers=dict(base.extra_headers),
        message_id=base.message_id,
    )
    if draft.from_addr and not _split_addresses(draft.from_addr):
        raise EditorError("no-from")
    return draft


def edit_in_editor(draft: Draft, editor: str | None = None) -> Draft:
    """Run $VISUAL/$EDITOR on the draft's template (no shell) and parse the result."""
    command = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    argv = shlex.split(command)
    if not argv:
        raise EditorError("no-editor")
    fd, path = tempfile.mkstemp(prefix="tuimail-", suffix=".eml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(editor_template(draft))
        try:
            result = subprocess.run([*argv, path], check=False)
        except OSError as exc:
            detail = exc.strerror or type(exc).__name__
            raise EditorError("editor-failed", editor=argv[0], detail=detail) from exc
        if result.returncode != 0:
            raise EditorError("editor-status", status=result.returncode)
        with open(path, encoding="utf-8", errors="replace") as f:
            return parse_editor_text(f.read(), draft)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


def message_bytes(draft: Draft, account: Account) -> tuple[bytes, str, list[str]]:
    """What to hand to the outbox: the CRLF message without Bcc, sender, recipients.
    The envelope sender is the From address when it is one of the account's identities
    (bounces come back to the address written as), else the account's own address."""
    msg = build_message(draft, account, splice=True)
    mine = {identity.key: identity.email for identity in identities(account)}
    sender = mine.get(address_of(draft.from_addr) if draft.from_addr else "", account.email)
    raw = spliced.written_else(
        msg, lambda: utf8_headers.message_bytes(build_message(draft, account))
    )
    return raw, sender, envelope_recipients(draft)
