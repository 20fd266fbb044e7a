"""Hypothesis over sequences of server states, on the bundled server over real sockets
(verified TLS): deliveries (often with equal header fields, sometimes byte-identical),
removals by another client, status fields written by the server, a renumbered mailbox,
deletions here; with and without UIDL, numbered UIDLs, empty and repeated UIDLs, and every
deletion policy.

After every check, each message content (header fields less what servers write, and
body) is stored exactly as often as the most copies of it any check saw on the server:
never less (nothing lost, nothing deleted unread), never more (no duplicates). A copy
with the same fields and body as an earlier download is that one (its content is
stored); the one case the evidence cannot tell (a download leaving and a message with its
fields and size arriving between two checks) is kept out by giving every body its own
length (tests/pop3/test_pop3_equal_headers.py covers the rest of that rule)."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.pop3.helpers import Clock, pop3_account
from testserver.pop3 import write_status
from tuimail.core.pop3 import fetch
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.store import Store

# Header lengths far apart and bodies of distinct lengths: two different contents never
# have the same size, even after status fields (about 50 octets) were written.
SUBJECTS = [b"a", b"b" * 21]
BODIES = [b"x\r\n", b"yy\r\n", b"zzz\r\n"]


def content(subject: int, body: int) -> bytes:
    return (
        b"From: someone@example.test\r\nTo: you@example.test\r\n"
        b"Subject: " + SUBJECTS[subject] + b"\r\nDate: Sat, 5 Dec 2026 06:00:00 +0000\r\n"
        b"\r\n" + BODIES[body]
    )


def identity(raw: bytes) -> tuple[bytes, bytes]:
    """(subject, body) of a message as stored or as on the server (status fields or not)."""
    header, _, body = raw.partition(b"\r\n\r\n")
    return header.split(b"Subject: ")[1].split(b"\r\n")[0], body


OPS = st.one_of(
    st.tuples(st.just("deliver"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("remove"), st.integers(0, 99)),
    st.tuples(st.just("rewrite"), st.integers(0, 99)),
    st.tuples(st.just("delete here"), st.integers(0, 99)),
    st.tuples(st.just("renumber")),
    st.tuples(st.just("check")),
)
D0, D1, CHECK = ("deliver", 0, 0), ("deliver", 0, 1), ("check",)
POLICIES = {
    "leave": {},
    "delete here": {"delete_on_server_when_deleted_locally": True},
    "no leave": {"leave_on_server": False},
}


class Run:
    """One example: a new user on the server, a new store, the model of what must be
    stored."""

    def __init__(self, server, directory: Path, policy: str) -> None:
        self.server = server
        self.user = server.new_user()
        self.store = Store(directory / "store.sqlite3")
        self.state = StorePop3State(self.store, clock=Clock())
        self.account = pop3_account(server, self.user, **POLICIES[policy])
        self.most: Counter = Counter()  # content -> most copies a check saw on the server

    def on_server(self) -> list:
        return self.server.store.messages(self.user.login)

    def stored(self) -> Counter:
        rows = self.store.conn.execute(
            "SELECT b.raw FROM messages m JOIN bodies b ON b.message_id = m.id"
            " JOIN folders f ON f.id = m.folder_id JOIN accounts a ON a.id = f.account_id"
            " WHERE a.name = 'pop'"
        ).fetchall()
        return Counter(identity(bytes(raw)) for (raw,) in rows)

    def apply(self, op: tuple) -> None:
        kind, *args = op
        messages = self.on_server()
        if kind == "deliver":
            self.server.deliver(self.user, content(*args))
        elif kind == "remove" and messages:  # another client deletes it
            uid = messages[args[0] % len(messages)].uid
            self.server.store.remove(self.user.login, "INBOX", [uid])
        elif kind == "rewrite" and messages:  # another client read it: status fields
            write_status(self.server.store, self.user.login, messages[args[0] % len(messages)].uid)
        elif kind == "delete here":
            self.delete_here(args[0])
        elif kind == "renumber":
            self.server.store.reset_uidvalidity(self.user.login, "INBOX")
        elif kind == "check":
            self.check()

    def delete_here(self, index: int) -> None:
        """The user deletes a message of the local INBOX (it goes to the local Trash)."""
        inbox = self.state.inbox("pop")
        ids = [
            r[0]
            for r in self.store.conn.execute(
                "SELECT id FROM messages WHERE folder_id = ? ORDER BY id", (inbox,)
            )
        ]
        if ids:
            trash = self.store.create_local_folder("pop", "Trash", role="trash")
            with self.store.transaction() as c:
                c.execute(
                    "UPDATE messages SET folder_id = ? WHERE id = ?", (trash, ids[index % len(ids)])
                )

    def check(self) -> None:
        for raw_id, count in Counter(identity(m.raw) for m in self.on_server()).items():
            self.most[raw_id] = max(self.most[raw_id], count)
        result = fetch(self.account, self.user.password, self.state, now=Clock())
        assert not result.refused
        assert self.stored() == self.most, (self.stored(), self.most)


@pytest.mark.parametrize("uidl", ["no_uidl", "number_uidl", "odd_uidl", "uidl"])
def test_every_message_is_stored_exactly_once_over_any_server_history(mail_server, uidl):
    mail_server.faults.add(protocol="pop3", kind="mbox_status")
    if uidl == "odd_uidl":  # the first two empty, the next two repeated, the rest real
        mail_server.faults.add(protocol="pop3", kind=uidl, data=b"\n\ndup\ndup")
    elif uidl != "uidl":
        mail_server.faults.add(protocol="pop3", kind=uidl)

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(policy=st.sampled_from(sorted(POLICIES)), ops=st.lists(OPS, min_size=1, max_size=14))
    @example("leave", [D0, CHECK, ("remove", 0), CHECK, D1])  # its fields after it left
    @example("leave", [D0, CHECK, ("remove", 0), D1])  # the same, between two checks
    @example("delete here", [D0, CHECK, ("delete here", 0), ("remove", 0), CHECK, D1])
    @example("no leave", [D0, CHECK, D1])  # a numbered UIDL given to the next one
    @example("no leave", [D0, ("rewrite", 0), CHECK, D0])  # the same message, back
    @example("leave", [D0, CHECK, D0, ("rewrite", 0), ("renumber",), CHECK])  # two copies
    def history(policy, ops):
        with tempfile.TemporaryDirectory() as directory:
            run = Run(mail_server, Path(directory), policy)
            try:
                for op in [*ops, ("check",), ("check",)]:
                    run.apply(op)
            finally:
                run.store.close()

    history()
