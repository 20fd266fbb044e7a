"""Shared helpers for the IMAP client tests: accounts on a test bed, a second client."""

from __future__ import annotations

import email
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from imapclient import IMAPClient

from testserver.peer import PeerUser
from tuimail.core.account import Account, ServerSettings
from tuimail.core.imap.idle import AccountWatcher, NewMail, WatchState
from tuimail.core.imap.session import connector
from tuimail.core.imap.sync import SyncEngine
from tuimail.core.store import Store
from tuimail.core.tls import client_context


def account_for(peer, user: PeerUser, **options) -> Account:
    return Account(
        name=options.pop("name", "test"),
        email=user.email,
        username=user.login,
        incoming=ServerSettings(host=peer.host, port=peer.ports.imap_tls, security="tls"),
        outgoing=ServerSettings(host=peer.host, port=peer.ports.smtp_tls, security="tls"),
        ca_file=peer.ca_file,
        **options,
    )


def engine_for(peer, user: PeerUser, store: Store, **options) -> SyncEngine:
    account = account_for(peer, user, **options)
    return SyncEngine(store, account, connector(account, user.password, timeout=10))


def other_client(peer, user: PeerUser) -> IMAPClient:
    """Another mail client changing the mailbox behind tuimail's back."""
    client = IMAPClient(
        peer.host, port=peer.ports.imap_tls, ssl_context=client_context(peer.ca_file), timeout=10
    )
    no_delay(client)
    client.login(user.login, user.password)
    return client


def no_delay(client: IMAPClient) -> None:
    """TCP_NODELAY on `client`'s socket, as tuimail sets it on its own: without it each
    APPEND or SEARCH to the bundled server waits ~40 ms (Nagle and delayed ACKs)."""
    client._imap.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def message(i: int, subject: str = "message") -> bytes:
    return (
        f"From: Sender {i} <s{i}@example.test>\r\nTo: r@example.test\r\n"
        f"Subject: {subject} {i}\r\nMessage-ID: <t{i}.{subject.replace(' ', '')}@example.test>\r\n"
        f"Date: Mon, 1 Jan 2024 10:{i % 60:02d}:00 +0000\r\n\r\nBody of {i}.\r\n"
    ).encode()


def server_state(client: IMAPClient, folder: str) -> dict[int, frozenset[str]]:
    client.select_folder(folder, readonly=True)
    data = (
        client.fetch("1:*", ["UID", "FLAGS"])
        if client.folder_status(folder, [b"MESSAGES"])[b"MESSAGES"]
        else {}
    )
    return {
        uid: frozenset(f.decode() for f in item[b"FLAGS"] if f != b"\\Recent")
        for uid, item in data.items()
    }


def store_state(store: Store, account: str, folder: str) -> dict[int, frozenset[str]]:
    folder_id = store.folder_id(account, folder)
    if folder_id is None:
        return {}
    return {uid: frozenset(flags.split()) for uid, flags in store.uid_flags(folder_id).items()}


def tmp_store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.sqlite3")


def _bare_id(value: str | None) -> str:
    return (value or "").strip().strip("<>").strip()


def server_mirror(client: IMAPClient, folder: str) -> dict[int, tuple[str, frozenset[str]]]:
    """UID -> (Message-ID, flags) as the server has it: which message sits under each UID."""
    flags = server_state(client, folder)
    if not flags:
        return {}
    data = client.fetch(sorted(flags), ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    out = {}
    for uid, item in data.items():
        header = next(v for k, v in item.items() if k.startswith(b"BODY[HEADER"))
        parsed = email.message_from_bytes(header)
        out[uid] = (_bare_id(parsed.get("Message-ID")), flags[uid])
    return out


def store_mirror(store: Store, account: str, folder: str) -> dict[int, tuple[str, frozenset[str]]]:
    """UID -> (Message-ID, flags) as the local cache has it."""
    folder_id = store.folder_id(account, folder)
    if folder_id is None:
        return {}
    rows = store.conn.execute(
        "SELECT uid, message_id, flags FROM messages WHERE folder_id = ? AND uid IS NOT NULL",
        (folder_id,),
    )
    return {uid: (_bare_id(mid), frozenset(flags.split())) for uid, mid, flags in rows}


def assert_cache_matches_server(store: Store, client: IMAPClient, folder: str) -> None:
    """The cache holds the same messages under the same UIDs with the same flags: comparing
    UIDs and flags alone would miss a folder renumbered behind tuimail's back."""
    local, remote = store_mirror(store, "test", folder), server_mirror(client, folder)
    assert local == remote, f"{folder}: cache {local} != server {remote}"


class Recorder:
    def __init__(self) -> None:
        self.events: queue.Queue = queue.Queue()
        self.new: list[str] = []
        self.states: list[str] = []
        self.on_state = None

    def __call__(self, event) -> None:
        if isinstance(event, NewMail):
            self.new.extend(r.subject for r in event.messages)
        elif isinstance(event, WatchState):
            self.states.append(event.state)
            if self.on_state:
                self.on_state(event)
        self.events.put(event)

    def wait_for(self, predicate, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching event; states={self.states} new={self.new}")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if predicate(event):
                return event


def is_idle(event) -> bool:
    return isinstance(event, WatchState) and event.state == "idle"


class CommandLog:
    """Every IMAP command name the watcher's connections send, in order."""

    def __init__(self, connect) -> None:
        self.names: list[str] = []
        self._lock = threading.Lock()
        self._connect = connect

    def __call__(self):
        client = self._connect()
        imap = client._imap
        original = imap._command

        def command(name, *args):
            with self._lock:
                self.names.append(name.decode() if isinstance(name, bytes) else str(name))
            return original(name, *args)

        imap._command = command
        return client

    def since(self, mark: int) -> list[str]:
        with self._lock:
            return [n.upper() for n in self.names[mark:]]


def until(condition, timeout: float = 20.0, what: str = "the store never caught up") -> None:
    """Return as soon as `condition()` holds; AssertionError(`what`) after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.02)


def inbox_flags(store: Store, uid: int) -> str | None:
    """The stored flags of INBOX's message `uid` (None: no such message in the store)."""
    row = store.conn.execute(
        "SELECT m.flags FROM messages m JOIN folders f ON f.id = m.folder_id "
        "WHERE f.name = 'INBOX' AND m.uid = ?",
        (uid,),
    ).fetchone()
    return row[0] if row else None


@dataclass
class Watched:
    """An AccountWatcher on a test bed, started and idling, with what it did recorded:
    its events, its connections' command names, and each read of every UID's flags of a
    folder from the store (`whole_folder_reads`, the folder ids)."""

    watcher: AccountWatcher
    recorder: Recorder
    store: Store
    log: CommandLog
    whole_folder_reads: list[int] = field(default_factory=list)


def start_watching(peer, user: PeerUser, tmp_path: Path, **options) -> Watched:
    """Start an AccountWatcher for `user` on `peer` and wait until its first sync is
    reported and it idles. The caller stops `.watcher`."""
    account = account_for(peer, user, **options)
    store = tmp_store(tmp_path)
    log = CommandLog(connector(account, user.password, timeout=10))
    watcher = AccountWatcher(store, account, log, backoff_start=0.1, backoff_max=1.0)
    watched = Watched(watcher, Recorder(), store, log)
    watcher.subscribe(watched.recorder)
    uid_flags = store.uid_flags

    def counting_uid_flags(folder_id, uids=None):
        if uids is None:
            watched.whole_folder_reads.append(folder_id)
            return uid_flags(folder_id)
        return uid_flags(folder_id, uids)

    store.uid_flags = counting_uid_flags
    watcher.start()
    try:
        watched.recorder.wait_for(lambda e: isinstance(e, NewMail), timeout=20)
        watched.recorder.wait_for(is_idle, timeout=20)
    except BaseException:
        watcher.stop()
        raise
    return watched


# Commands IDLE's direct path must not send: a new SELECT/EXAMINE, or a STATUS (Dovecot
# counts a big folder for it).
RESELECTS = ("SELECT", "EXAMINE", "STATUS")
