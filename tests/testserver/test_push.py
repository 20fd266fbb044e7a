"""Mail submitted over SMTP reaches the recipient's IMAP IDLE session at once (bundled):
pushed while the client idles (the server has no poll: without the push nothing would come
until the client stopped idling)."""

from __future__ import annotations

import time
import uuid

import aiosmtplib
from imapclient import IMAPClient

from tuimail.core.tls import client_context

GUARD = 10  # seconds: a hang guard only (the push itself is timed by bench/bench_push.py, not here)


async def test_smtp_delivery_is_pushed_to_an_idling_session(mail_server) -> None:
    sender, rcpt = mail_server.new_user(), mail_server.new_user()
    context = client_context(mail_server.ca_file)
    imap = IMAPClient(
        mail_server.host,
        port=mail_server.ports.imap_tls,
        ssl=True,
        ssl_context=context,
        timeout=10,
    )
    smtp = aiosmtplib.SMTP(
        hostname=mail_server.host,
        port=mail_server.ports.smtp_starttls,
        start_tls=True,
        tls_context=context,
        timeout=10,
    )
    try:
        imap.login(rcpt.login, rcpt.password)
        imap.select_folder("INBOX")
        await smtp.connect()
        await smtp.login(sender.login, sender.password)
        for n in range(1, 4):
            imap.idle()
            raw = (
                f"From: {sender.email}\r\nTo: {rcpt.email}\r\n"
                f"Subject: push {uuid.uuid4().hex}\r\n\r\nHello {n}\r\n"
            ).encode()
            errors, _ = await smtp.sendmail(sender.email, [rcpt.email], raw)
            deadline = time.monotonic() + GUARD
            assert errors == {}
            responses = []
            while not any(r[1:2] == (b"EXISTS",) for r in responses):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no EXISTS while idling: {responses}"
                responses += imap.idle_check(timeout=remaining)
            imap.idle_done()
            assert (n, b"EXISTS") in responses
    finally:
        smtp.close()
        imap.shutdown()
