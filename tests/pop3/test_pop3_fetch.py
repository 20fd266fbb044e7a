"""POP3 with leave-on-server, against both test beds: every message exactly once."""

from __future__ import annotations

import pytest

from tests.pop3.helpers import (
    delete_on_server,
    message,
    pop3_account,
    server_count,
    stored,
    user_with,
)
from tuimail.core.pop3 import DAY, fetch
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.store import Store
from tuimail.words.describe import describe
from tuimail.words.status import warning


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_first_download_then_nothing(mail_peer, state, security):
    store_state, _clock = state
    user = user_with(mail_peer, 3)
    account = pop3_account(mail_peer, user, security)

    first = fetch(account, user.password, store_state, now=_clock)
    assert first.downloaded == 3 and first.deleted == 0
    second = fetch(account, user.password, store_state, now=_clock)
    assert second.downloaded == 0
    assert len(stored(store_state)) == 3
    assert server_count(mail_peer, user) == 3  # left on the server


def test_deleted_elsewhere_and_two_new_gives_exactly_two(mail_peer, state):
    store_state, clock = state
    user = user_with(mail_peer, 3)
    account = pop3_account(mail_peer, user)
    assert fetch(account, user.password, store_state, now=clock).downloaded == 3

    delete_on_server(mail_peer, user, 1)  # message numbers shift in the next session
    mail_peer.deliver(user, message(3))
    mail_peer.deliver(user, message(4))
    result = fetch(account, user.password, store_state, now=clock)
    assert result.downloaded == 2
    bodies = stored(store_state)
    assert len(bodies) == 5
    assert len({b.split(b"Subject: ")[1].split(b"\r\n")[0] for b in bodies}) == 5


def test_leave_on_server_off_deletes_only_committed(mail_peer, state):
    store_state, clock = state
    user = user_with(mail_peer, 4)
    account = pop3_account(mail_peer, user, leave_on_server=False)
    result = fetch(account, user.password, store_state, now=clock)
    assert result.downloaded == 4 and result.deleted == 4
    assert server_count(mail_peer, user) == 0
    assert len(stored(store_state)) == 4


def test_delete_after_days(mail_peer, state):
    store_state, clock = state
    user = mail_peer.new_user()
    mail_peer.deliver(user, message(1))
    account = pop3_account(mail_peer, user, delete_after_days=3)
    assert fetch(account, user.password, store_state, now=clock).deleted == 0
    clock.now += 2 * DAY
    mail_peer.deliver(user, message(2))
    assert fetch(account, user.password, store_state, now=clock).deleted == 0
    clock.now += 1 * DAY + 60  # message 1 is now older than three days, message 2 is not
    result = fetch(account, user.password, store_state, now=clock)
    assert result.deleted == 1 and result.downloaded == 0
    assert server_count(mail_peer, user) == 1
    assert len(stored(store_state)) == 2


def test_long_line_arrives_intact(mail_peer, state):
    store_state, clock = state
    user = mail_peer.new_user()
    long_line = b"x" * 10_000 + b"\r\n"
    raw = message(1, long_line)
    mail_peer.deliver(user, raw)
    account = pop3_account(mail_peer, user)
    assert fetch(account, user.password, store_state, now=clock).downloaded == 1
    (body,) = stored(store_state)
    assert long_line in body
    assert body.endswith(raw.split(b"\r\n\r\n", 1)[1])


def test_server_without_uidl_falls_back_to_header_hash_with_a_warning(mail_server, state):
    store_state, clock = state
    user = mail_server.new_user()
    mail_server.faults.add(protocol="pop3", kind="no_uidl")
    for n in range(3):
        mail_server.deliver(user, message(n))
    account = pop3_account(mail_server, user)
    first = fetch(account, user.password, store_state, now=clock)
    assert first.downloaded == 3
    assert any("does not support UIDL" in warning(w) for w in first.warnings)
    mail_server.deliver(user, message(3))
    second = fetch(account, user.password, store_state, now=clock)
    assert second.downloaded == 1
    assert len(stored(store_state)) == 4


def test_a_session_that_breaks_before_quit_deletes_nothing(mail_peer, state):
    """The connection drops after the DELEs and before QUIT: the server deletes nothing
    (RFC 1939 UPDATE state), the messages are stored, and the next pass deletes them
    without downloading any again."""
    from tuimail.core.pop3 import Pop3Error, open_pop3

    store_state, clock = state
    user = user_with(mail_peer, 3)
    account = pop3_account(mail_peer, user, leave_on_server=False)
    sent: list[str] = []

    def breaks_before_quit(acc):
        conn = open_pop3(acc)
        send = conn._putcmd

        def putcmd(line: str) -> None:
            sent.append(line.split(" ", 1)[0])
            if line == "QUIT":
                conn.sock.close()  # the network goes away instead
                raise ConnectionResetError("connection reset")
            send(line)

        conn._putcmd = putcmd
        return conn

    with pytest.raises(Pop3Error, match="connection"):
        fetch(account, user.password, store_state, now=clock, connect=breaks_before_quit)
    assert sent.count("DELE") == 3 and sent[-1] == "QUIT"
    assert sent.index("DELE") > max(i for i, c in enumerate(sent) if c == "RETR")
    assert len(stored(store_state)) == 3
    assert server_count(mail_peer, user) == 3  # nothing deleted

    result = fetch(account, user.password, store_state, now=clock)
    assert result.downloaded == 0 and result.deleted == 3
    assert server_count(mail_peer, user) == 0
    assert len(stored(store_state)) == 3


def test_two_clients_on_one_store_at_once_store_each_message_once(mail_peer, tmp_path):
    """The app polling while `tuimail watch` (or `sync`) runs: two sessions download the
    same new messages at the same time; the store still holds each once."""
    import threading

    from tuimail.core.pop3 import Pop3Busy

    user = user_with(mail_peer, 20)
    account = pop3_account(mail_peer, user)
    path = tmp_path / "store.sqlite3"
    StorePop3State(Store(path)).store.close()
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    busy: list[str] = []

    def client() -> None:
        state = StorePop3State(Store(path))
        try:
            start.wait()
            fetch(account, user.password, state)
        except Pop3Busy as exc:  # a server that locks the maildrop (RFC 1939 allows it)
            busy.append(describe(exc))
        except BaseException as exc:
            errors.append(exc)
        finally:
            state.store.close()

    threads = [threading.Thread(target=client) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert all("in use by another POP3 session" in text for text in busy)
    state = StorePop3State(Store(path))
    assert len(stored(state)) == 20 == len(set(stored(state)))
    assert fetch(account, user.password, state).downloaded == 0
