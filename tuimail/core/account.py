"""The account model: what config.toml describes and every protocol layer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Security = Literal["tls", "starttls", "plain"]
Protocol = Literal["imap", "pop3"]

DEFAULT_PORTS: dict[tuple[str, str], int] = {
    ("imap", "tls"): 993,
    ("imap", "starttls"): 143,
    ("imap", "plain"): 143,
    ("pop3", "tls"): 995,
    ("pop3", "starttls"): 110,
    ("pop3", "plain"): 110,
    ("smtp", "tls"): 465,
    ("smtp", "starttls"): 587,
    ("smtp", "plain"): 587,
}


@dataclass
class ServerSettings:
    host: str
    port: int
    security: Security = "tls"
    # SHA-256 (hex) of the server's SubjectPublicKeyInfo that the user chose to trust
    # for this host and port only (a self-signed server). Never a blanket exception.
    pinned_sha256: str | None = None


@dataclass
class Account:
    name: str  # the key in [accounts.NAME]
    email: str
    incoming: ServerSettings
    outgoing: ServerSettings
    protocol: Protocol = "imap"
    display_name: str | None = None  # `name = ...` in the config, for From:
    username: str | None = None  # defaults to email
    password_command: str | None = None
    ca_file: str | None = None
    leave_on_server: bool = True  # pop3 only
    delete_after_days: int = 0  # pop3 only, 0 = never
    delete_on_server_when_deleted_locally: bool = False  # pop3 only
    poll_interval: int = 300  # seconds; POP3 always, IMAP when the server has no IDLE
    idle_renew_seconds: int = 29 * 60
    use_condstore: bool = True
    use_qresync: bool = True
    save_sent_copy: bool = True  # APPEND to Sent after submission
    download_bodies: bool = False  # fetch all bodies for offline use
    signature: str | None = None
    sent_retention_days: int = 30
    auth: Literal["password", "oauth2"] = "password"
    # the [accounts.NAME] oauth2 table as written (provider, client_id, endpoints, scopes)
    oauth2: dict | None = None
    # the [oauth2_clients.PROVIDER] table (client_id, client_secret) used when `oauth2` has no
    # client_id of its own; filled by config.py, never written back to the account
    oauth2_client: dict | None = None
    oauth2_token_command: str | None = None  # prints an access token (instead of sign-in)
    oauth2_token_store: Literal["keyring", "file"] = (
        "keyring"  # delivered outbox entries (sent/) kept this long; 0 = for ever
    )
    extra: dict = field(default_factory=dict)  # aliases, timeout, dkim_selector (config.py)

    @property
    def login(self) -> str:
        return self.username or self.email

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2].lower()
