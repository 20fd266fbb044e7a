"""Hostile real-world message shapes for the end-to-end mail tests, built here so a fresh
clone has them: each builder returns raw bytes as a sender's program would write them
(line ends mixed where the shape is about line ends). `SHAPES` maps a short name to one.

Every message carries `Subject: shape NAME` so a test can find it after delivery."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable

CRLF = b"\r\n"


def _head(name: str, extra: bytes = b"", *, sender: bytes = b"Shape <shape@example.test>") -> bytes:
    return (
        b"From: " + sender + b"\r\nTo: qa@example.test\r\nSubject: shape " + name.encode()
        + b"\r\nMessage-ID: <shape-" + name.encode() + b"@example.test>\r\n"
        b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" + extra
    )  # fmt: skip


def binary(seed: int, size: int) -> bytes:
    """Reproducible bytes of every value, NUL and CR/LF included."""
    return random.Random(seed).randbytes(size)


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", CRLF)


def utf8_addresses() -> bytes:
    """RFC 6532: UTF-8 display names and local parts (SMTPUTF8 mail) in From, To and Cc."""
    return (
        _head("utf8-addresses", sender="Jörg Müller <jörg@exämple.test>".encode()).replace(
            b"To: qa@example.test", "To: 用户 <用户@例子.测试>, δοκιμή@example.test".encode()
        )
        + 'Cc: "Ünï Cödé" <ünï@example.test>, plain@example.test\r\n'.encode()
        + b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "Grüße aus Köln — 你好\r\n".encode()
    )


def broken_boundary() -> bytes:
    """multipart whose closing boundary never comes, with an attachment inside."""
    data = binary(1, 3000)
    return (
        _head("broken-boundary", b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n')
        + b"--outer\r\nContent-Type: text/plain\r\n\r\nthe text\r\n"
        b"--outer\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="cut.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64(data)
    )


def wrong_boundary() -> bytes:
    """The declared boundary never appears: the body must still be shown, not lost."""
    return (
        _head("wrong-boundary", b'Content-Type: multipart/mixed; boundary="declared"\r\n\r\n')
        + b"--other\r\nContent-Type: text/plain\r\n\r\nvisible words\r\n--other--\r\n"
    )


def nested_forwards(depth: int = 50) -> bytes:
    """A forward of a forward ... `depth` message/rfc822 levels, an attachment at the bottom."""
    data = binary(2, 2000)
    inner = (
        b"From: Bottom <bottom@example.test>\r\nSubject: the bottom\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b0"\r\n\r\n'
        b"--b0\r\nContent-Type: text/plain\r\n\r\nthe bottom text\r\n"
        b"--b0\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="bottom.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64(data) + b"--b0--\r\n"
    )
    for level in range(1, depth):
        b = b"f%d" % level
        inner = (
            b"From: Level <l%d@example.test>\r\nSubject: Fwd: level %d\r\nMIME-Version: 1.0\r\n"
            % (level, level)
            + b'Content-Type: multipart/mixed; boundary="' + b + b'"\r\n\r\n--' + b
            + b"\r\nContent-Type: text/plain\r\n\r\nforwarded\r\n--" + b
            + b"\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--" + b + b"--\r\n"
        )  # fmt: skip
    return (
        _head("nested-forwards", b'Content-Type: multipart/mixed; boundary="top"\r\n\r\n')
        + b"--top\r\nContent-Type: text/plain\r\n\r\nfifty deep\r\n--top\r\n"
        b"Content-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--top--\r\n"
    )


RFC2231_NAMES = {
    # header parameter as written -> the name a reader should show
    b"filename*=iso-8859-1''r%E9sum%E9.pdf": "résumé.pdf",
    b"filename*0*=koi8-r''%F0%D2%C9%D7%C5%D4; filename*1*=.txt": "Привет.txt",
    b"filename*=shift_jis''%93%FA%96%7B.doc": "日本.doc",
    b"filename*=x-no-such-charset''caf%E9.txt": "",  # unknown charset: any readable name
    b"filename*=utf-8''..%2F..%2Fetc%2Fpasswd": "",  # path traversal: stays in the folder
    b'filename="=?gb2312?B?1tDOxC50eHQ=?="': "中文.txt",
}


def rfc2231_names() -> bytes:
    """Attachments named with RFC 2231 parameters in odd charsets (and an RFC 2047 one)."""
    parts = [b"--p\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"]
    for i, param in enumerate(RFC2231_NAMES):
        parts.append(
            b"--p\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Disposition: attachment; " + param + b"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64(binary(10 + i, 700 + i))
        )
    return (
        _head("rfc2231-names", b'Content-Type: multipart/mixed; boundary="p"\r\n\r\n')
        + b"".join(parts) + b"--p--\r\n"
    )  # fmt: skip


TNEF = b"\x78\x9f\x3e\x22" + binary(3, 5000)  # the TNEF signature, then anything


def winmail_dat() -> bytes:
    """Outlook's TNEF attachment (application/ms-tnef, winmail.dat) saved as it is."""
    tnef = TNEF
    return (
        _head("winmail", b'Content-Type: multipart/mixed; boundary="w"\r\n\r\n')
        + b"--w\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nOutlook says hi\r\n"
        b'--w\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\n'
        b'Content-Disposition: attachment; filename="winmail.dat"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64(tnef) + b"--w--\r\n"
    )


def calendar_invite() -> bytes:
    """A meeting request: text/calendar METHOD=REQUEST beside the text, and as a file."""
    return (
        _head("calendar", b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n')
        + b'--m\r\nContent-Type: multipart/alternative; boundary="a"\r\n\r\n'
        b"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYou are invited\r\n"
        b"--a\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + ICS + b"--a--\r\n"
        b'--m\r\nContent-Type: application/ics; name="invite.ics"\r\n'
        b'Content-Disposition: attachment; filename="invite.ics"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64(ICS) + b"--m--\r\n"
    )


ICS = (
    b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nPRODID:-//QA//EN\r\nVERSION:2.0\r\n"
    b"BEGIN:VEVENT\r\nUID:qa-1@example.test\r\nDTSTART:20240102T100000Z\r\n"
    b"DTEND:20240102T110000Z\r\nSUMMARY:R\xc3\xa9union\r\n"
    b"ORGANIZER:mailto:shape@example.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def eight_bit_no_charset() -> bytes:
    """8bit text with no charset at all: latin-1 and UTF-8 bytes side by side."""
    return _head("8bit-no-charset", b"Content-Transfer-Encoding: 8bit\r\n\r\n") + (
        "caf\xe9 latin-1\r\n".encode("latin-1") + "café utf-8\r\n".encode()
    )


def mixed_line_ends() -> bytes:
    """CRLF and bare LF mixed in the header and the body, with an attachment."""
    data = binary(4, 1500)
    return (
        b"From: Mixed <mixed@example.test>\nTo: qa@example.test\r\nSubject: shape mixed-eol\n"
        b"Message-ID: <shape-mixed-eol@example.test>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n"
        b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="x"\r\n\n'
        b"--x\nContent-Type: text/plain\r\n\nline one\r\nline two\nline three\r\n"
        b'--x\r\nContent-Type: application/octet-stream\nContent-Disposition: attachment; '
        b'filename="eol.bin"\r\nContent-Transfer-Encoding: base64\n\n'
        + base64.encodebytes(data) + b"--x--\n"
    )  # fmt: skip


def nul_bytes() -> bytes:
    """NUL bytes in a header value and in the body text."""
    return (
        _head("nul-bytes", b"X-Nul: a\x00b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
        + b"before\x00after\r\nsecond line\r\n"
    )


def many_header_lines(lines: int = 100_000) -> bytes:
    """A header of `lines` lines (X-Filler), the usual fields at the end."""
    filler = b"".join(b"X-Filler: %d\r\n" % i for i in range(lines))
    return filler + _head("many-header-lines") + b"\r\nthe body under a huge header\r\n"


def binary_attachments() -> bytes:
    """A binary attachment in base64, one in quoted-printable, one without a name."""
    a, b = binary(5, 40_000), binary(6, 3000)
    qp = b"".join(b"=%02X" % c for c in b)
    qp_lines = b"=\r\n".join(qp[i : i + 72] for i in range(0, len(qp), 72))
    return (
        _head("binary-attachments", b'Content-Type: multipart/mixed; boundary="z"\r\n\r\n')
        + b"--z\r\nContent-Type: text/plain\r\n\r\nthree files\r\n"
        b'--z\r\nContent-Type: image/png; name="p.png"\r\nContent-Transfer-Encoding: base64\r\n'
        b"Content-Disposition: attachment\r\n\r\n" + _b64(a)
        + b'--z\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; '
        b'filename="qp.bin"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
        + qp_lines + b"\r\n--z\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + _b64(binary(7, 900)) + b"--z--\r\n"
    )  # fmt: skip


ENCODED_INNER = (
    b"From: Inner <inner@example.test>\r\nSubject: the forwarded one\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    + "Grüße from inside\r\n".encode()
)


def encoded_forward() -> bytes:
    """A forwarded message in base64 (as Outlook writes message/rfc822; RFC 6532 allows it
    for message/global) and one in quoted-printable."""
    qp = b"".join(b"=%02X" % c if c > 126 or c == 61 else bytes([c]) for c in ENCODED_INNER)
    return (
        _head("encoded-forward", b'Content-Type: multipart/mixed; boundary="e"\r\n\r\n')
        + b"--e\r\nContent-Type: text/plain\r\n\r\ntwo forwarded\r\n"
        b"--e\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="b64.eml"\r\n\r\n' + _b64(ENCODED_INNER)
        + b"--e\r\nContent-Type: message/global\r\nContent-Transfer-Encoding: quoted-printable"
        b'\r\nContent-Disposition: attachment; filename="qp.eml"\r\n\r\n' + qp
        + b"\r\n--e--\r\n"
    )  # fmt: skip


SHIFT_JIS_TEXT = "日本語のテキスト\r\n".encode("shift_jis")
CP1252_CSV = "name;price\r\ncafé;3 €".encode("cp1252")  # its last break is the delimiter's


def text_attachments() -> bytes:
    """Text files in the charsets they were written in (Shift_JIS, windows-1252)."""
    return (
        _head("text-attachments", b'Content-Type: multipart/mixed; boundary="t"\r\n\r\n')
        + b"--t\r\nContent-Type: text/plain\r\n\r\ntwo files\r\n"
        b"--t\r\nContent-Type: text/plain; charset=shift_jis\r\n"
        b'Content-Disposition: attachment; filename="jp.txt"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64(SHIFT_JIS_TEXT)
        + b'--t\r\nContent-Type: text/csv; charset="windows-1252"\r\n'
        b'Content-Disposition: attachment; filename="prices.csv"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"name;price\r\ncaf=E9;3 =80\r\n--t--\r\n"
    )  # fmt: skip


def odd_transfer_encoding() -> bytes:
    """Transfer encodings written with a trailing blank, in capitals, with a comment."""
    return (
        _head("odd-cte", b'Content-Type: multipart/mixed; boundary="o"\r\n\r\n')
        + b"--o\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable \r\n\r\nd=C3=A9j=C3=A0 vu\r\n"
        b'--o\r\nContent-Type: application/octet-stream; name="blank.bin"\r\n'
        b"Content-Transfer-Encoding: base64 \r\n\r\n" + _b64(binary(8, 1000))
        + b'--o\r\nContent-Type: application/octet-stream; name="comment.bin"\r\n'
        b"Content-Transfer-Encoding: BASE64 (encoded)\r\n\r\n" + _b64(binary(9, 1000))
        + b"--o--\r\n"
    )  # fmt: skip


SHAPES: dict[str, Callable[[], bytes]] = {
    "utf8-addresses": utf8_addresses,
    "broken-boundary": broken_boundary,
    "wrong-boundary": wrong_boundary,
    "nested-forwards": nested_forwards,
    "rfc2231-names": rfc2231_names,
    "winmail": winmail_dat,
    "calendar": calendar_invite,
    "8bit-no-charset": eight_bit_no_charset,
    "mixed-eol": mixed_line_ends,
    "nul-bytes": nul_bytes,
    "many-header-lines": many_header_lines,
    "binary-attachments": binary_attachments,
    "encoded-forward": encoded_forward,
    "text-attachments": text_attachments,
    "odd-cte": odd_transfer_encoding,
}


def files(name: str) -> list[bytes]:
    """The files a shape carries, as their sender wrote them (what saving must give)."""
    return {
        "broken-boundary": [binary(1, 3000)],
        "nested-forwards": [binary(2, 2000)],
        "rfc2231-names": [binary(10 + i, 700 + i) for i in range(len(RFC2231_NAMES))],
        "winmail": [TNEF],
        "calendar": [ICS],
        "mixed-eol": [binary(4, 1500)],
        "binary-attachments": [binary(5, 40_000), binary(6, 3000), binary(7, 900)],
        "encoded-forward": [ENCODED_INNER],
        "text-attachments": [SHIFT_JIS_TEXT, CP1252_CSV],
        "odd-cte": [binary(8, 1000), binary(9, 1000)],
    }.get(name, [])
