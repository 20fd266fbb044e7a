"""A message with a plain and an HTML version and two attachments (one with a hostile
name), for the attachment list tests and snapshot."""

from __future__ import annotations

from email.message import EmailMessage


def deliver_parts(server, user) -> None:
    msg = EmailMessage()
    msg["From"] = "Parts <parts@example.test>"
    msg["To"] = user.email
    msg["Subject"] = "Parts"
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    msg["Message-ID"] = "<parts@example.test>"
    msg.set_content("The plain version.\n")
    msg.add_alternative(
        "<p>The <b>HTML</b> version, <a href='https://example.test/x'>link</a></p>", subtype="html"
    )
    msg.add_attachment(
        b"shout this\n", maintype="application", subtype="x-tuimail-test", filename="a;b$(x).dat"
    )
    msg.add_attachment(
        b"interactive\n", maintype="application", subtype="x-tuimail-term", filename="t.bin"
    )
    server.deliver(user, msg.as_bytes())
