"""Writes tests/data/messages/*.eml: tuimail's own realistic and hostile mail corpus.

The .eml files are committed; this script documents how each was built and
regenerates them (python tests/data/make_messages.py).  Every message is
written as exact bytes: many are deliberately broken.
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

OUT = Path(__file__).resolve().parent / "messages"

H = (
    b"From: Alice Example <alice@example.com>\r\nTo: Bob <bob@example.org>\r\n"
    b"Date: Tue, 01 Jul 2025 10:52:37 +0200\r\nMessage-ID: <%s@example.com>\r\n"
)


def hdr(mid: str, subject: bytes, extra: bytes = b"") -> bytes:
    return H % mid.encode() + b"Subject: " + subject + b"\r\n" + extra


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


M: dict[str, bytes] = {}

# --- ordinary mail ---------------------------------------------------------
M["plain-utf8"] = hdr("p1", b"Lunch on Friday?") + crlf(
    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n\nHi Bob,\n\nLunch on Friday at the caf\u00e9 "
    "near the station? Around 12:30.\n\nCheers,\nAlice\n-- \nAlice Example\n"
    "https://alice.example.com\n"
)
M["reply-quoted"] = hdr(
    "p2",
    b"Re: Lunch on Friday?",
    b"In-Reply-To: <p1@example.com>\r\nReferences: <p1@example.com>\r\n",
) + crlf(
    "Content-Type: text/plain; charset=us-ascii\n\nSounds good, see you there.\n\n"
    "On Tue, 1 Jul 2025, Bob wrote:\n> Are you sure about Friday?\n>\n>> Lunch on Friday at the cafe\n"
    ">> near the station?\n> I might be late.\n\nAlice\n"
)
M["outlook-reply"] = hdr("p3", b"RE: Budget 2026") + crlf(
    "Content-Type: text/plain; charset=windows-1252\n\nApproved.\n\n"
    "-----Original Message-----\nFrom: Bob\nSent: Monday\nSubject: Budget 2026\n\n"
    "Please approve the attached budget.\n"
)
M["flowed"] = hdr("p4", b"Flowed text") + crlf(
    "Content-Type: text/plain; charset=utf-8; format=flowed\n\nThis is a long paragraph that \n"
    "was wrapped by the sender's \nmail client at 30 columns.\n\n> quoted soft \n> break here\n"
)
M["qp-latin1"] = hdr("p5", b"=?ISO-8859-1?Q?R=E9sum=E9_attached?=") + (
    b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    + quopri.encodestring(
        "Voil\u00e0 mon r\u00e9sum\u00e9, na\u00efve fa\u00e7ade.\r\n".encode("latin-1")
    )
)
M["multilingual"] = hdr(
    "p6", b"=?UTF-8?B?5aSa6KiA6Kqe44OG44K544OIIC0g0YLQtdGB0YIgLSDYp9iu2KrYqNin2LE=?="
) + crlf(
    "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    "English: hello\nFran\u00e7ais: bonjour \u00e0 tous\nDeutsch: Gr\u00fc\u00dfe aus K\u00f6ln\n"
    "\u0420\u0443\u0441\u0441\u043a\u0438\u0439: \u043f\u0440\u0438\u0432\u0435\u0442\n"
    "\u65e5\u672c\u8a9e: \u3053\u3093\u306b\u3061\u306f\n\u4e2d\u6587: \u4f60\u597d\n"
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629: \u0645\u0631\u062d\u0628\u0627\n"
    "\u05e2\u05d1\u05e8\u05d9\u05ea: \u05e9\u05dc\u05d5\u05dd\n\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac: "
    "\u03b3\u03b5\u03b9\u03b1\nEmoji: \U0001f600 \U0001f44d\n"
)
M["iso2022jp"] = hdr("p7", b"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=") + (
    b"Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
    + "\u3053\u3093\u306b\u3061\u306f\u3001\u4e16\u754c\u3002\r\n".encode("iso-2022-jp")
)
M["koi8r"] = hdr("p8", b"=?koi8-r?B?8NLJ18XU?=") + (
    b"Content-Type: text/plain; charset=koi8-r\r\n\r\n"
    + "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!\r\n".encode("koi8-r")
)
M["big5"] = hdr("p9", b"Big5 body") + (
    b"Content-Type: text/plain; charset=big5\r\n\r\n"
    + "\u4f60\u597d\uff0c\u4e16\u754c\r\n".encode("big5")
)
M["utf7"] = (
    hdr("p10", b"UTF-7 body")
    + b"Content-Type: text/plain; charset=utf-7\r\n\r\nHi Mom -+Jjo--!\r\n"
)

# --- HTML ------------------------------------------------------------------
NEWSLETTER = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Weekly</title>
<style>body{font-family:sans-serif} .hide{display:none}</style>
<link rel="stylesheet" href="https://tracker.example.net/style.css"></head>
<body background="https://tracker.example.net/bg.png">
<div style="display:none;max-height:0">Preheader text you never see</div>
<table width="600" role="presentation"><tr><td>
<h1>The Weekly Digest</h1>
<p>Hello reader, here are this week&#8217;s <b>top stories</b>:</p>
<ol><li><a href="https://news.example.com/a?utm_source=mail">Rust 2.0 released</a></li>
<li><a href="https://news.example.com/b">Python 3.14 is out</a></li>
<li>A story without a link</li></ol>
<img src="https://tracker.example.net/open.gif?id=123" width="1" height="1">
<img src="https://cdn.example.net/hero.jpg" alt="Hero image">
<table border="1"><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>$5</td></tr>
<tr><td>Pro</td><td>$15</td></tr></table>
<p><a href="https://news.example.com/unsubscribe">Unsubscribe</a> &middot;
<a href="mailto:editor@example.com">Write to the editor</a></p>
</td></tr></table></body></html>"""
M["newsletter-html-only"] = hdr("h1", b"The Weekly Digest") + crlf(
    "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n" + NEWSLETTER + "\n"
)
M["newsletter-alternative"] = hdr("h2", b"Your order has shipped") + crlf(
    'MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="alt"\n\n--alt\n'
    "Content-Type: text/plain; charset=utf-8\n\nYour order #1234 has shipped.\n"
    "Track it: https://shop.example.com/track/1234\n\n--alt\nContent-Type: text/html; charset=utf-8\n\n"
    "<p>Your order <b>#1234</b> has shipped.</p>\n--alt--\n"
)
M["alternative-empty-plain"] = hdr("h3", b"Empty plain part, HTML wins") + crlf(
    'Content-Type: multipart/alternative; boundary="b"\n\n--b\nContent-Type: text/plain\n\n\n'
    "--b\nContent-Type: text/html\n\n<div>Only the <i>HTML</i> part has text.</div>\n--b--\n"
)
M["html-blockquote-reply"] = hdr("h4", b"Re: html thread") + crlf(
    "Content-Type: text/html; charset=utf-8\n\n<div>I agree with this.</div><br>"
    "<div>On Monday Bob wrote:</div><blockquote type=cite><div>Shall we ship it?</div>"
    "<blockquote><div>It is ready.</div></blockquote></blockquote>\n"
)
M["html-remote-everything"] = hdr("h5", b"Remote references everywhere") + crlf(
    'Content-Type: text/html; charset=utf-8\n\n<html><head><link rel="stylesheet" href="http://198.51.100.7/a.css">'
    "<style>@import url(http://198.51.100.7/b.css); body{background:url(http://198.51.100.7/c.png)}</style>"
    '<script src="http://198.51.100.7/x.js"></script></head><body>'
    '<iframe src="http://198.51.100.7/frame.html"></iframe><img srcset="http://198.51.100.7/1x.png 1x">'
    '<video poster="http://198.51.100.7/p.png"></video><object data="http://198.51.100.7/o.swf"></object>'
    "<p>Visible paragraph.</p></body></html>\n"
)
M["html-lists-tables"] = hdr("h6", b"Meeting notes") + crlf(
    "Content-Type: text/html; charset=utf-8\n\n<h2>Agenda</h2><ul><li>Budget<ul><li>Q3</li><li>Q4</li></ul></li>"
    "<li>Hiring</li></ul><table><tr><td>Owner</td><td>Task</td></tr><tr><td>Ann</td><td>Slides</td></tr></table>"
    "<pre>  code   block\n    indented</pre><p>Done &amp; dusted &lt;ok&gt;</p>\n"
)
M["html-latin1-meta"] = hdr("h7", b"HTML declared in meta only") + (
    b"Content-Type: text/html\r\n\r\n<html><head><meta charset=iso-8859-1></head><body><p>Caf\xe9 cr\xe8me</p></body></html>\r\n"
)

# --- calendar --------------------------------------------------------------
ICS = (
    "BEGIN:VCALENDAR\nPRODID:-//Example//EN\nVERSION:2.0\nMETHOD:REQUEST\nBEGIN:VEVENT\n"
    "UID:42@example.com\nSUMMARY:Quarterly planning\\, room 4\nDTSTART;TZID=Europe/Paris:20250715T140000\n"
    "DTEND;TZID=Europe/Paris:20250715T150000\nLOCATION:Room 4\nORGANIZER;CN=Alice Example:mailto:alice@example.com\n"
    "ATTENDEE;CN=Bob:mailto:bob@example.org\nATTENDEE;CN=Carol:mailto:carol@example.org\n"
    "DESCRIPTION:Agenda: budget\\nand hiring\nEND:VEVENT\nEND:VCALENDAR\n"
)
M["calendar-invite"] = hdr("c1", b"Invitation: Quarterly planning") + crlf(
    'Content-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: multipart/alternative; boundary="a"\n\n'
    "--a\nContent-Type: text/plain; charset=utf-8\n\nYou have been invited to Quarterly planning.\n\n"
    "--a\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\n\n" + ICS + "\n--a--\n"
    '--m\nContent-Type: application/ics; name="invite.ics"\nContent-Disposition: attachment; filename="invite.ics"\n'
    "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(ICS.encode()).decode() + "--m--\n"
)
M["calendar-cancel"] = hdr("c2", b"Canceled: Standup") + crlf(
    "Content-Type: text/calendar; method=CANCEL; charset=utf-8\n\nBEGIN:VCALENDAR\nMETHOD:CANCEL\n"
    "BEGIN:VEVENT\nSUMMARY:Standup\nDTSTART:20250716T090000Z\nSTATUS:CANCELLED\nEND:VEVENT\nEND:VCALENDAR\n"
)

# --- attachments -----------------------------------------------------------
PDF = b"%PDF-1.4\n% fake pdf for tests\n"
M["attachment-pdf"] = (
    hdr("a1", b"Invoice")
    + crlf(
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="mix"\n\n--mix\nContent-Type: text/plain\n\n'
        'Invoice attached.\n--mix\nContent-Type: application/pdf; name="invoice 2025.pdf"\n'
        'Content-Disposition: attachment; filename="invoice 2025.pdf"\nContent-Transfer-Encoding: base64\n\n'
    )
    + b64(PDF)
    + b"--mix--\r\n"
)
M["attachment-rfc2231"] = hdr("a2", b"RFC 2231 names") + crlf(
    'Content-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: text/plain\n\nTwo files.\n'
    "--m\nContent-Type: application/octet-stream\nContent-Disposition: attachment;\n"
    " filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E%20report.txt\n\nfirst\n"
    "--m\nContent-Type: application/octet-stream\nContent-Disposition: attachment;\n"
    " filename*0*=iso-8859-1''r%E9sum%E9%20tr%E8s;\n filename*1=\" long name.doc\"\n\nsecond\n--m--\n"
)
M["attachment-rfc2047-name"] = hdr("a3", b"Encoded word filename") + crlf(
    'Content-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: text/plain\n\nSee file.\n'
    '--m\nContent-Type: image/png; name="=?utf-8?B?0YTQvtGC0L4ucG5n?="\nContent-Disposition: attachment\n'
    "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--m--\n"
)
M["attachment-raw8bit-name"] = hdr("a4", b"Raw 8-bit filename") + (
    b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nhi\r\n'
    b'--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="na\xefve caf\xe9.txt"\r\n\r\n'
    b"data\r\n--m--\r\n"
)
M["forwarded-rfc822"] = hdr("a5", b"Fwd: Original") + crlf(
    'Content-Type: multipart/mixed; boundary="f"\n\n--f\nContent-Type: text/plain\n\nFYI, see below.\n'
    "--f\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n"
    "From: Carol <carol@example.org>\nTo: Alice <alice@example.com>\nSubject: =?utf-8?q?Original_=E2=9C=93?=\n"
    "Date: Mon, 30 Jun 2025 09:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n"
    "The original message body.\n--f--\n"
)
M["uuencode-inline"] = hdr("a6", b"uuencoded file") + (
    b"Content-Type: text/plain\r\n\r\nHere is the file:\r\n\r\nbegin 644 hello.txt\r\n"
    + b"".join(
        __import__("binascii")
        .b2a_uu(b"Hello, uuencoded world!\n"[i : i + 45])
        .replace(b"\n", b"\r\n")
        for i in range(0, 24, 45)
    )
    + b"`\r\nend\r\n\r\nBye.\r\n"
)
M["pgp-signed"] = hdr("a7", b"Signed message") + crlf(
    'Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="s"\n\n'
    "--s\nContent-Type: text/plain; charset=utf-8\n\nThis text is signed.\n--s\n"
    'Content-Type: application/pgp-signature; name="signature.asc"\n\n-----BEGIN PGP SIGNATURE-----\n'
    "iHUEARYIAB0WIQ==\n-----END PGP SIGNATURE-----\n--s--\n"
)
M["pgp-encrypted"] = hdr("a8", b"Encrypted") + crlf(
    'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="e"\n\n'
    "--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\n"
    'Content-Type: application/octet-stream; name="encrypted.asc"\n\n-----BEGIN PGP MESSAGE-----\n'
    "hQEMA1234==\n-----END PGP MESSAGE-----\n--e--\n"
)

# --- hostile ---------------------------------------------------------------
M["escape-subject"] = (
    b"From: =?utf-8?b?G1sybUFkbWluG1swbQ==?= <x@evil.example>\r\nTo: victim@example.org\r\n"
    b"Subject: \x1b]0;pwned\x07\x1b[2J\x1b[31mURGENT\x1b[0m \x9b31m C1 \xc2\x9b7m\r\n"
    b"Date: Tue, 01 Jul 2025 10:52:37 +0200\r\n\r\nbody\r\n"
)
M["escape-body"] = hdr("x2", b"Terminal escapes in body") + (
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nClear screen:\x1b[2J\x1b[H\r\n"
    b"Title: \x1b]2;hacked\x07\r\nBell\x07 and backspace\x08\x08 and NUL\x00 and DEL\x7f\r\n"
    b"C1 CSI \xc2\x9b31m and OSC \xc2\x9d0;x\xc2\x9c\r\nCR overwrite: safe\rEVIL\r\n"
    b"Hyperlink: \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\r\n"
)
M["bidi-filename"] = hdr("x3", b"Invoice \xe2\x80\xaeexe.pdf") + (
    b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
    b"Please open the invoice \xe2\x80\xaefdp.exe now. Zero\xe2\x80\x8bwidth, isolate \xe2\x81\xa6x\xe2\x81\xa9, "
    b"BOM \xef\xbb\xbf, LRM \xe2\x80\x8e, ALM \xd8\x9c, tag \xf3\xa0\x80\x81.\r\n"
    b'--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="invoice\xe2\x80\xaefdp.exe"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--m--\r\n"
)
M["path-traversal-names"] = hdr("x4", b"Dangerous attachment names") + crlf(
    'Content-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: text/plain\n\nFiles.\n'
    + "".join(
        f'--m\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="{n}"\n\n{i}\n'
        for i, n in enumerate(
            [
                "../../../../etc/passwd",
                "..\\\\..\\\\boot.ini",
                ".bashrc",
                "CON",
                "nul.txt",
                "a" * 300 + ".txt",
                "/absolute/path.sh",
                "-rf",
                "\u00a0",
            ]
        )
    )
    + "--m--\n"
)
M["escape-filename"] = hdr("x5", b"Escape in filename") + (
    b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nx\r\n'
    b'--m\r\nContent-Type: application/octet-stream; name="=?utf-8?q?a=1B[31mred=07.txt?="\r\n'
    b"Content-Disposition: attachment\r\n\r\ndata\r\n--m--\r\n"
)
M["html-hostile"] = hdr("x6", b"HTML with escapes") + (
    b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>\x1b[31mred&#27;[0m &#x9b;2J &#8238;txt.exe "
    b'<a href="http://evil.example/\x1b[2J">link\x1b]0;t\x07</a></p><script>alert(1)</script>\r\n'
)
M["c1-latin1-body"] = hdr("x7", b"Undeclared 8-bit latin-1") + (
    b"Content-Type: text/plain\r\n\r\nPrix: 5\x80 \x96 \x93quoted\x94 caf\xe9 \x9b31m\r\n"
)

# --- broken mailers --------------------------------------------------------
M["unknown-charset"] = hdr("b1", b"Unknown charset") + (
    b"Content-Type: text/plain; charset=x-klingon-8\r\n\r\nqapla\xe9 \xc3\xa9\r\n"
)
M["wrong-charset-utf8-declared"] = hdr("b2", b"Says UTF-8 but is latin-1") + (
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nGr\xfc\xdfe aus M\xfcnchen\r\n"
)
M["charset-is-codec-trick"] = hdr("b3", b"charset=base64 trick") + (
    b"Content-Type: text/plain; charset=rot13\r\n\r\nuryyb jbeyq\r\n"
)
M["raw-8bit-headers"] = (
    b"From: J\xc3\xb6rg M\xc3\xbcller <jm@example.de>\r\nTo: Ren\xe9 <r@example.fr>\r\n"
    b"Subject: Caf\xe9 and Gr\xc3\xbc\xc3\x9fe\r\nDate: Tue, 01 Jul 2025 10:52:37 +0200\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nRaw 8-bit headers.\r\n"
)
M["bad-date"] = hdr("b5", b"Bad date").replace(
    b"Tue, 01 Jul 2025 10:52:37 +0200", b"Yesterday at noon, 99:99"
) + (b"Content-Type: text/plain\r\n\r\nThe date header is nonsense.\r\n")
M["missing-boundary"] = hdr("b6", b"Missing boundary parameter") + crlf(
    "Content-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nText in a multipart without boundary.\n--x--\n"
)
M["boundary-never-closed"] = hdr("b7", b"Boundary never closed") + crlf(
    'Content-Type: multipart/mixed; boundary="open"\n\n--open\nContent-Type: text/plain\n\nFirst part.\n'
    "--open\nContent-Type: text/plain\n\nSecond part, and the mail just ends\n"
)
M["wrong-boundary"] = hdr("b8", b"Wrong boundary") + crlf(
    'Content-Type: multipart/alternative; boundary="declared"\n\n--actual\nContent-Type: text/plain\n\n'
    "Text behind a boundary that was never declared.\n--actual--\n"
)
M["bad-base64"] = hdr("b9", b"Invalid base64") + (
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"SGVsbG8gd29y!!bGQ*gdGhpcyBp\r\ncyBicm9rZW4=\r\n=garbage\r\n"
)
M["no-headers-at-all"] = b"Just a body without any header lines.\r\nSecond line.\r\n"
M["lf-only-no-mime"] = (
    b"From: old@example.com\nSubject: pre-MIME mail\n\nNo MIME-Version, no Content-Type.\n"
    b"Caf\xe9 in raw latin-1.\n"
)
M["cr-only"] = (
    b"From: mac@example.com\rSubject: CR only\rContent-Type: text/plain\r\rClassic Mac line endings.\rSecond line.\r"
)
M["nested-deep-50"] = hdr("b10", b"Nested 50 deep") + (
    b"Content-Type: multipart/mixed; boundary=n0\r\n\r\n"
    + b"".join(
        b"--n%d\r\nContent-Type: multipart/mixed; boundary=n%d\r\n\r\n" % (i, i + 1)
        for i in range(49)
    )
    + b"--n49\r\nContent-Type: text/plain\r\n\r\nDeep inside.\r\n"
    + b"".join(b"--n%d--\r\n" % i for i in range(49, -1, -1))
)
M["header-injection-folding"] = hdr(
    "b11", b"Folded\r\n  subject with =?utf-8?q?encoded?=\r\n =?utf-8?q?_words?= split"
) + (
    b"X-Weird-Header-Without-Colon\r\nContent-Type: text/plain\r\n\r\nBody after a broken header line.\r\n"
)
M["dsn-bounce"] = (
    b"From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\nTo: alice@example.com\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\nDate: Tue, 01 Jul 2025 10:52:37 +0200\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
    b"--r\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n"
    b"--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
    b"Final-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: alice@example.com\r\nSubject: hello\r\n--r--\r\n"
)
M["mailing-list-footer"] = hdr(
    "l1", b"[dev] Release plan", b"List-Id: <dev.lists.example.org>\r\n"
) + crlf(
    "Content-Type: text/plain; charset=utf-8\n\nWe ship on Monday.\n\n> > older quote\n> newer quote\n"
    "-- \nSent from my phone\n_______________________________________________\ndev mailing list\n"
    "dev@lists.example.org\nhttps://lists.example.org/listinfo/dev\n"
)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for i, (name, raw) in enumerate(M.items(), 1):
        (OUT / f"{i:02d}-{name}.eml").write_bytes(raw)
    print(f"wrote {len(M)} messages to {OUT}")


if __name__ == "__main__":
    main()
