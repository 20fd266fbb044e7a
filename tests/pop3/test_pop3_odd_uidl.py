"""Odd and repeated UIDLs (the bundled server's `odd_uidl` fault): every message exactly
once, and a UIDL is never used as a file name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.pop3.helpers import (
    Clock,
    message,
    pop3_account,
    pop3_session,
    run_cli,
    saved_account,
    stored,
    user_with,
)
from tuimail.core.pop3 import fetch
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.store import Store
from tuimail.words.status import event, warning

LONG = b"L" * 200
ODD = [b"../../etc/passwd", b"a/b", b"", LONG, b"dup", b"dup", b"caf\xc3\xa9\xff"]
FALLBACK_WARNING = "empty, invalid or repeated UIDL"


def files_under(root: Path) -> list[Path]:
    return [Path(d) / f for d, _dirs, files in os.walk(root) for f in files]


def names_under(root: Path) -> set[str]:
    return {name for _d, dirs, files in os.walk(root) for name in dirs + files}


@pytest.fixture
def default_state():
    """State in the default store (under the per-test XDG data dir), as the app has it."""
    store = Store()
    yield StorePop3State(store), Clock()
    store.close()


def test_odd_uidls_download_every_message_exactly_once(
    mail_server, default_state, isolated_home, tmp_path
):
    state, clock = default_state
    user = user_with(mail_server, len(ODD))
    mail_server.faults.add(protocol="pop3", kind="odd_uidl", data=b"\n".join(ODD))
    account = pop3_account(mail_server, user)

    first = fetch(account, user.password, state, now=clock)
    assert first.downloaded == len(ODD)
    assert any(FALLBACK_WARNING in warning(w) for w in first.warnings)
    second = fetch(account, user.password, state, now=clock)
    assert second.downloaded == 0
    bodies = stored(state)
    assert len(bodies) == len(ODD) == len(set(bodies))

    # Valid (if path-like) UIDLs are kept as plain database values.
    keys = set(state.known("pop"))
    assert {"u:../../etc/passwd", "u:a/b"} <= keys
    assert not any(LONG.decode() in k or "dup" in k for k in keys)  # hashed instead

    # Nothing named after a UIDL anywhere: not under HOME/XDG, not in the working dir.
    store_files = {p.name for p in files_under(isolated_home)}
    assert all(name.startswith("store.sqlite3") for name in store_files), store_files
    names = names_under(isolated_home) | names_under(tmp_path)
    assert not names & {"passwd", "etc", "a", "b", "dup", LONG.decode(), ".."}
    assert not Path("etc/passwd").exists() and not Path("a/b").exists()


def test_repeated_uidl_on_later_messages_keeps_the_first(mail_server, default_state):
    state, clock = default_state
    user = user_with(mail_server, 3)
    account = pop3_account(mail_server, user)
    assert fetch(account, user.password, state, now=clock).downloaded == 3

    # The server now gives messages 1 and 2 the same UIDL, then a valid one again.
    mail_server.faults.add(protocol="pop3", kind="odd_uidl", data=b"dup\ndup")
    mail_server.deliver(user, message(3))
    turned = fetch(account, user.password, state, now=clock)
    assert turned.downloaded == 1 and turned.warnings
    mail_server.faults.clear()
    assert fetch(account, user.password, state, now=clock).downloaded == 0
    assert len(stored(state)) == 4


def test_uidls_that_become_valid_do_not_download_again(mail_server, default_state):
    state, clock = default_state
    user = user_with(mail_server, 3)
    mail_server.faults.add(protocol="pop3", kind="odd_uidl", data=b"\n\n")  # all empty
    account = pop3_account(mail_server, user)
    assert fetch(account, user.password, state, now=clock).downloaded == 3
    mail_server.faults.clear()
    mail_server.deliver(user, message(3))
    again = fetch(account, user.password, state, now=clock)
    assert again.downloaded == 1 and not again.warnings
    assert fetch(account, user.password, state, now=clock).downloaded == 0
    assert len(stored(state)) == 4


def test_deleted_locally_with_odd_uidl_is_deleted_on_the_server(mail_server, make_service):
    user = user_with(mail_server, 3)
    mail_server.faults.add(protocol="pop3", kind="odd_uidl", data=b"dup\ndup\n")
    service = make_service(mail_server, user, delete_on_server_when_deleted_locally=True)
    try:
        service.start()
        rows = service.source("pop", "INBOX").rows(0, 10)
        assert len(rows) == 3
        # The warning is shown to the user (the app shows error events in its status bar).
        assert any(FALLBACK_WARNING in event(e) for e in service.errors)
        doomed = next(r for r in rows if r.subject == "message 1")
        service.delete([doomed])
        assert service.backend("pop").sync()
        left = mail_server.messages(user)
        assert len(left) == 2 and not any(b"Subject: message 1\r\n" in raw for raw in left)
    finally:
        service.stop()


def test_cli_sync_prints_the_fallback_warning(mail_server):
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    mail_server.faults.add(protocol="pop3", kind="odd_uidl", data=b"")
    saved_account(mail_server, user)
    run = run_cli("sync")
    assert run.returncode == 0, run.stderr
    assert "1 new" in run.stdout
    assert "warning:" in run.stderr and FALLBACK_WARNING in run.stderr
    listed = run_cli("list", "pop", "--json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 1


def test_stored_alias_matches_the_servers_top_headers(mail_peer, default_state):
    """The stable key recorded for a downloaded message equals the one a later TOP n 0
    of the same message gives, on both servers (what recognising it by headers relies
    on), folded header lines included."""
    from tuimail.core.pop3_keys import header_lines, stable_hash, stable_key

    state, clock = default_state
    user = mail_peer.new_user()
    folded = b"X-Long: " + b"word " * 40 + b"\r\n\tcontinued\r\n"
    mail_peer.deliver(user, message(1))
    mail_peer.deliver(user, message(2).replace(b"\r\n\r\n", b"\r\n" + folded + b"\r\n", 1))
    account = pop3_account(mail_peer, user)
    assert fetch(account, user.password, state, now=clock).downloaded == 2
    aliases = {k for k in state.known("pop") if k.startswith("s:")}
    with pop3_session(mail_peer, user) as conn:
        tops = {stable_key(stable_hash(header_lines(conn.top(n, 0)[1]))) for n in (1, 2)}
    assert tops == aliases


def test_odd_uidl_fault_on_the_wire(mail_server):
    """The fault itself: listing and single-message UIDL both answer the given strings."""
    user = user_with(mail_server, 3)
    mail_server.faults.add(protocol="pop3", kind="odd_uidl", data=b"../x\n")
    with pop3_session(mail_server, user) as conn:
        listing = conn.uidl()[1]
        assert listing[:2] == [b"1 ../x", b"2 "]
        assert listing[2].startswith(b"3 ") and len(listing[2]) > 3  # the real one
        assert conn.uidl(1) == b"+OK 1 ../x"
