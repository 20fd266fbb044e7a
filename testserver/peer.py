"""What a client test needs to know about a test bed, whichever one it is.

The bundled server and the private Dovecot + Postfix both offer this shape, so client
tests are written once and parametrized over both (the `mail_peer` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PeerUser:
    login: str  # what IMAP LOGIN, POP3 USER and SMTP AUTH take
    password: str
    email: str

    def __repr__(self) -> str:  # keep passwords out of test output
        return f"PeerUser({self.login!r})"


@dataclass(frozen=True)
class PeerPorts:
    imap_tls: int
    imap_starttls: int
    pop3_tls: int
    pop3_starttls: int
    smtp_tls: int  # implicit TLS submission (465-style)
    smtp_starttls: int  # STARTTLS submission (587-style)
    # Implicit TLS submission that offers neither 8BITMIME nor SMTPUTF8 (the Dovecot
    # bed's Postfix with smtpd_discard_ehlo_keywords; 0: none, as on the bundled server).
    smtp_tls_7bit: int = 0


class MailPeer(Protocol):
    kind: str  # "bundled" or "dovecot"
    host: str  # the address to connect to; the certificate names it (IP SAN)
    ports: PeerPorts
    ca_file: str  # PEM of the CA that signed the server certificate
    domain: str  # mail domain of the users, e.g. "example.test"

    def new_user(self) -> PeerUser:
        """A user no other test uses, with an empty INBOX and the special-use folders."""

    def deliver(self, user: PeerUser, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message into a folder as new (unseen) mail, as the server's MDA would."""

    def messages(self, user: PeerUser, folder: str = "INBOX") -> list[bytes]:
        """The raw messages now in the folder, oldest first."""

    def wait_for_message(
        self,
        user: PeerUser,
        predicate: Callable[[bytes], bool],
        timeout: float = 10.0,
        folder: str = "INBOX",
    ) -> bytes:
        """Wait until a message in the folder satisfies predicate(raw); TimeoutError if not."""
