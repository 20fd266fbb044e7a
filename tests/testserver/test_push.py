"""Mail submitted over SMTP reaches the recipient's IMAP IDLE session at once (bundled)."""

from __future__ import annotations

import time
import uuid

import aiosmtplib
from imapclient import IMAPClient

from tuimail.core.tls import client_context

PUSH_LIMIT = 0.200  # seconds, from the end of the SMTP send to EXISTS (the figure)


async def test_smtp_to_idle_push_within_200_ms(mail_server) -> None:
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
        latencies = []
        for n in range(1, 4):
            imap.idle()
            raw = (
                f"From: {sender.email}\r\nTo: {rcpt.email}\r\n"
                f"Subject: push {uuid.uuid4().hex}\r\n\r\nHello {n}\r\n"
            ).encode()
            errors, _ = await smtp.sendmail(sender.email, [rcpt.email], raw)
            sent = time.monotonic()
            assert errors == {}
            responses = []
            while not any(r[1:2] == (b"EXISTS",) for r in responses):
                remaining = sent + 5 - time.monotonic()
                assert remaining > 0, f"no EXISTS after 5 s: {responses}"
                responses += imap.idle_check(timeout=remaining)
            latencies.append(time.monotonic() - sent)
            imap.idle_done()
            assert (n, b"EXISTS") in responses
        assert max(latencies) < PUSH_LIMIT, f"IDLE push latencies {latencies}"
    finally:
        smtp.close()
        imap.shutdown()
