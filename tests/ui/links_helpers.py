"""A message with links for the URL picker tests and snapshot: a short one, one far longer
than any line, and a mailto: link."""

from __future__ import annotations

from email.message import EmailMessage

LONG = "https://example.test/" + "a-very-long-path/" * 12 + "end?x=1&y=2"


def deliver_links(server, user) -> None:
    msg = EmailMessage()
    msg["From"] = "Links <links@example.test>"
    msg["To"] = user.email
    msg["Subject"] = "Some links"
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0000"
    msg["Message-ID"] = "<links@example.test>"
    msg.set_content(
        "Short: https://example.test/short\n"
        f"Long: {LONG}\n"
        "Mail: mailto:bob@example.test?subject=Hello%20there\n"
    )
    server.deliver(user, msg.as_bytes())
