"""A received message with a fixed route, for the delivery report's UI tests."""

from __future__ import annotations

ROUTED = (
    b"Received: from mx.example.test\r\n\tby imap.example.test (Dovecot) with LMTP id a1\r\n"
    b"\tfor <you@example.test>; Mon, 2 Mar 2026 11:03:09 +0000\r\n"
    b"Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=news@shop.example;\r\n"
    b"\tdkim=pass header.d=shop.example header.s=s1; dmarc=pass (p=quarantine)"
    b" header.from=shop.example\r\n"
    b"Received: from out.shop.example (out.shop.example [198.51.100.7])\r\n"
    b"\tby mx.example.test (Postfix) with ESMTPS id 4F1;\r\n\tMon, 2 Mar 2026 11:03:08 +0000\r\n"
    b"Authentication-Results: out.shop.example; dmarc=pass header.from=[@click=app.quit()]\r\n"
    b"Received: from [10.0.0.5] (desk [203.0.113.5])\r\n"
    b"\tby out.shop.example\x1b[31m (Postfix) with ESMTPSA id 9C2;\r\n"
    b"\tMon, 2 Mar 2026 10:01:58 +0000\r\n"
    b'From: "PayPal [b]Support[/b]" <news@shop.example>\r\n'
    b"Reply-To: claims@elsewhere.example\r\n"
    b"To: you@example.test\r\nSubject: Your order\r\nMessage-ID: <route@shop.example>\r\n"
    b"Date: Mon, 2 Mar 2026 10:01:50 +0000\r\n\r\nThanks for your order.\r\n"
)
