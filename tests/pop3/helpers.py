"""POP3 test helpers: messages, users with mail, accounts on a test bed, the service for
one, an injectable clock, another client's session, what the store holds and what the
server still has, a store as an earlier version left it."""

from __future__ import annotations

import poplib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tuimail.core.account import Account, ServerSettings
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import Store
from tuimail.core.tls import client_context


def message(n: int, extra: bytes = b"") -> bytes:
    return (
        f"From: sender{n}@example.test\r\nTo: someone@example.test\r\n"
        f"Subject: message {n}\r\nMessage-ID: <m{n}@example.test>\r\n\r\n"
        f"Body of message {n}.\r\n"
    ).encode() + extra


def pop3_account(peer, user, security: str = "tls", **options) -> Account:
    port = peer.ports.pop3_tls if security == "tls" else peer.ports.pop3_starttls
    return Account(
        name="pop",
        email=user.email,
        protocol="pop3",
        username=user.login,
        ca_file=peer.ca_file,
        incoming=ServerSettings(peer.host, port, security),
        outgoing=ServerSettings(peer.host, peer.ports.smtp_tls, "tls"),
        **options,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def stored(state: StorePop3State) -> list[bytes]:
    folder = state.inbox("pop")
    rows = state.store.message_rows(folder, 0, 10_000, sort="uid")
    return sorted(state.store.body(row.id) for row in rows)


@contextmanager
def pop3_session(peer, user) -> Iterator[poplib.POP3]:
    """Another client: a POP3 session of `user` over verified TLS, logged in; QUIT at the
    end (so its deletions take effect)."""
    conn = poplib.POP3_SSL(
        peer.host, peer.ports.pop3_tls, context=client_context(peer.ca_file), timeout=10
    )
    try:
        conn.user(user.login)
        conn.pass_(user.password)
        yield conn
    finally:
        conn.quit()


def server_count(peer, user) -> int:
    with pop3_session(peer, user) as conn:
        return conn.stat()[0]


def delete_on_server(peer, user, number: int) -> None:
    """Another client deletes one message."""
    with pop3_session(peer, user) as conn:
        conn.dele(number)


def subject_of(raw: bytes) -> str:
    return raw.split(b"Subject: ")[1].split(b"\r\n")[0].decode()


def subjects_on_server(peer, user) -> set[str]:
    """Subjects of the messages the server holds for `user` (status fields or not)."""
    return {subject_of(raw) for raw in peer.messages(user)}


def user_with(peer, count: int):
    """A new user of `peer` with messages 0 to count-1 delivered to the INBOX."""
    user = peer.new_user()
    for n in range(count):
        peer.deliver(user, message(n))
    return user


def pop3_service(account: Account, password: str, store_path, **options) -> MailService:
    """The service the app uses, for one POP3 account (`pop`), with its own store."""
    options.setdefault("idle", False)
    return MailService(
        {"pop": account},
        password_for=lambda _a: Secret(password),
        store=Store(store_path),
        **options,
    )


def saved_account(peer, user, password: str | None = None, **options) -> Account:
    """The POP3 account of `user` saved in the config (the CLI reads it), its password
    given by a command (`password` instead of the user's: a wrong one)."""
    from tuimail.core.config import save_account

    account = pop3_account(peer, user, **options)
    account.password_command = f"printf %s {user.password if password is None else password}"
    save_account(account)
    return account


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """`python -m tuimail ARGS` to its end, output captured, no terminal input."""
    return subprocess.run(
        [sys.executable, "-m", "tuimail", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def start_cli(*args: str) -> subprocess.Popen:
    """`python -m tuimail ARGS` started, its output readable as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "tuimail", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def store_as_before_stable_keys(path, peer, user, account: str = "pop") -> Store:
    """A store as tuimail kept it before stable header keys (pop3 migrations 1-2), after
    downloading every message `user` has over a server without UIDL: each message
    stored, known as "h:" and "a:" + the hash of its header bytes as sent."""
    from tuimail.core.pop3_keys import header_lines, legacy_keys
    from tuimail.core.pop3_state import MIGRATIONS

    store = Store(path)
    store.apply_component_migrations("pop3", MIGRATIONS[:2])
    folder = store.create_local_folder(account, "INBOX", role="inbox")
    store.create_local_folder(account, "Trash", role="trash")
    with pop3_session(peer, user) as conn:
        for number in range(1, conn.stat()[0] + 1):
            lines = conn.retr(number)[1]
            message_id = store.add_local_message(folder, b"\r\n".join(lines) + b"\r\n")
            with store.transaction() as c:
                for key in legacy_keys(header_lines(lines)):
                    c.execute(
                        "INSERT INTO pop3_keys (account, key, uidl, message_id,"
                        " downloaded_at) VALUES (?, ?, NULL, ?, ?)",
                        (account, key, message_id, 1_800_000_000.0),
                    )
    return store


def interrupt_migration(path, monkeypatch, step: str) -> None:
    """Open the store at `path` with its POP3 migration stopped (KeyboardInterrupt, as
    when the program is killed) at the second call of `pop3_state.<step>`, one message
    a batch; the store is closed half-migrated and the patches undone."""
    from tuimail.core import pop3_state

    real, calls = getattr(pop3_state, step), []

    def crash_on_second(lines):
        calls.append(lines)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the program stopped mid-way
        return real(lines)

    monkeypatch.setattr(pop3_state, "REKEY_BATCH", 1)
    monkeypatch.setattr(pop3_state, step, crash_on_second)
    store = Store(path)
    with pytest.raises(KeyboardInterrupt):
        StorePop3State(store)
    store.close()
    monkeypatch.undo()


def twin(n: int, body: bytes) -> bytes:
    """Message `n`'s header with another body (a copy delivered twice has equal headers)."""
    return message(n).split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" + body


def counting_retr(calls: list[int]):
    """A `connect` for fetch: the real connection, with every RETR's number noted."""
    from tuimail.core.pop3 import open_pop3

    def connect(account: Account) -> poplib.POP3:
        conn = open_pop3(account)
        real = conn._putcmd  # every command goes through it, RETR whichever way is sent

        def putcmd(line: str) -> None:
            if line.upper().startswith("RETR "):
                calls.append(int(line.split()[1]))
            real(line)

        conn._putcmd = putcmd
        return conn

    return connect
