"""Building messages with trace headers for the delivery-report tests."""

from __future__ import annotations


def message(*headers: str, body: str = "Hello.\r\n") -> bytes:
    """Header lines (newest first, as servers prepend them) + a minimal message."""
    lines = list(headers)
    if not any(h.lower().startswith("from:") for h in lines):
        lines.append("From: Alice <alice@sender.example>")
    lines += ["To: bob@example.org", "Subject: test", "Date: Mon, 1 Dec 2025 10:00:00 +0000"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


SUBMISSION = (
    "Received: from [192.168.1.20] (client.home.example [203.0.113.5])\r\n"
    "\tby smtp.sender.example (Postfix) with ESMTPSA id 4AB12\r\n"
    "\tfor <bob@example.org>; Mon, 1 Dec 2025 10:00:02 +0000"
)
RELAY = (
    "Received: from smtp.sender.example (smtp.sender.example [198.51.100.7])\r\n"
    "\tby mx.example.org (Postfix) with ESMTPS id 77CD1\r\n"
    "\tfor <bob@example.org>; Mon, 1 Dec 2025 10:00:05 +0000"
)
LMTP = (
    "Received: from mx.example.org by imap.example.org (Dovecot) with LMTP id x1\r\n"
    "\tfor <bob@example.org>; Mon, 1 Dec 2025 10:00:06 +0000"
)
