"""`tuimail --demo`: the bundled test server with sample mail, and an account pointing at it.

Nothing here touches the user's real configuration or keyring: the caller points the
XDG directories at a temporary directory first, and the password stays in memory.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tuimail.core.account import Account, ServerSettings
from tuimail.core.secrets import Secret

DEMO_START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the test samples' dates
DEMO_NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # the seeded demo's last day

SAMPLES = [
    (
        "Bob Example <bob@example.test>",
        "Lunch on Thursday?",
        "Hi Alice,\n\nShall we try the new place on Thursday at 12:30?\n\nBob\n",
    ),
    (
        "Carol Example <carol@example.test>",
        "Quarterly report draft",
        "Hello,\n\nThe draft is attached. Comments welcome before Friday.\n"
        "Details: https://example.test/reports/q1\n\n-- \nCarol\n",
        True,
    ),
    (
        "Bob Example <bob@example.test>",
        "Re: Lunch on Thursday?",
        "Great, see you there.\n\n> Shall we try the new place on Thursday at 12:30?\n> Alice\n",
    ),
    (
        "Mailing List <list@example.test>",
        "[tuimail] Weekly digest",
        "This week: IDLE push, a virtual message list and a setup wizard.\n"
        "Read more at https://example.test/digest\n",
    ),
    ("Carol Example <carol@example.test>", "Holiday photos", "A few pictures from the trip.\n"),
    (
        "Dave Example <dave@example.test>",
        "Invoice 2026-031",
        "Please find the invoice below.\nTotal: 120 EUR\n",
    ),
]


def sample(
    i: int,
    sender: str,
    subject: str,
    body: str,
    attach: bool = False,
    to: str = "alice@example.test",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(DEMO_START - timedelta(hours=7 * i))
    msg["Message-ID"] = f"<demo-{i}@example.test>"
    msg.set_content(body)
    if attach:
        msg.add_attachment(b"Q1 figures\n", maintype="text", subtype="plain", filename="report.txt")
    return msg.as_bytes()


class Demo:
    """The running demo: server, users, the account, and the 'new mail' timer."""

    def __init__(self, new_mail_after: float = 5.0) -> None:
        # The bundled server's demo mailboxes: alice, bob and carol, several hundred
        # messages with fixed dates (testserver/seed.py).
        from testserver.certs import TestCA
        from testserver.server import MailServer
        from tuimail.core.private import private_temp_dir

        # The demo's own CA and server key, in a private directory removed by stop()
        # (and at exit, should stop() never run).
        self._ca_dir = private_temp_dir("tuimail-demo-ca-")
        self.server = MailServer(seed="demo", ca=TestCA(self._ca_dir))
        self.server.start()
        users = {u.email.split("@")[0]: u for u in self.server.users}
        self.alice, self.bob, self.carol = users["alice"], users["bob"], users["carol"]
        self.password = Secret(self.alice.password)
        ports = self.server.ports
        self.account = Account(
            name="demo",
            email=self.alice.email,
            display_name="Alice Liddell",
            incoming=ServerSettings(self.server.host, ports.imap_tls, "tls"),
            outgoing=ServerSettings(self.server.host, ports.smtp_starttls, "starttls"),
            ca_file=self.server.ca_file,
        )
        self._timer = threading.Timer(new_mail_after, self.deliver_new)
        self._timer.daemon = True
        if new_mail_after > 0:
            self._timer.start()

    def password_for(self, account) -> Secret:
        """Alice's password for the demo account; an account added with the wizard (+)
        has its own, kept for the session when the wizard verified it."""
        if account.name == self.account.name:
            return self.password
        from tuimail.core.secrets import get_password

        return get_password(account)

    def wizard(self):
        """The setup wizard (+) looking things up where the demo's servers are: its DNS
        server and CA, as for a real provider, so an address alone (bob@example.test)
        finds the settings; the account saved keeps the DNS server and connects."""
        from tuimail.core.discovery.detect import DetectOptions
        from tuimail.ui.screens.wizard import WizardScreen

        server = self.server

        def options() -> DetectOptions:
            return DetectOptions(
                nameserver=f"{server.host}:{server.dns_port}",
                ca_file=server.ca_file,
                https_port=server.https_port,
            )

        return WizardScreen(detect_options=options)

    def deliver_new(self) -> None:
        msg = EmailMessage()
        msg["From"] = f"Bob Builder <{self.bob.email}>"
        msg["To"] = self.alice.email
        msg["Subject"] = "Are you there? (pushed by IDLE)"
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = make_msgid(domain="example.test")
        msg.set_content("This message arrived while the app was open.\n")
        self.server.deliver(self.alice, msg.as_bytes())

    def stop(self) -> None:
        import shutil

        self._timer.cancel()
        self.server.stop()
        shutil.rmtree(self._ca_dir, ignore_errors=True)
