"""`tuimail sync` opens each IMAP account's connection (TLS, greeting, login) in a thread
of its own while the store and the sync engine load (tuimail.core.imap.early, issue 19).

What must not change with it: every failure is the same typed error as a connection made
in place (the same sentence, at the same point: the pass's); no credential before every
account's password is known, and none to a server whose certificate or pinned key does not
verify; one login per connection, never a second try with the same password; a connection
the server dropped before it was used is replaced, nothing lost; a connection nobody takes
is closed."""

from __future__ import annotations

import dataclasses
import socket
import threading

import pytest

from tests.hostile.conftest import PASSWORD, TIMEOUT, assert_clean_failure, save
from tests.hostile.scripted import Conn, ImapScript, account_on
from tests.service.helpers import wait_for
from tuimail.core.config import save_account
from tuimail.core.imap.early import OpenedEarly
from tuimail.core.imap.session import connect

pytestmark = pytest.mark.timeout(60)


def _logins(script: ImapScript) -> list[bytes]:
    return [c for c in script.commands if c.split(b" ")[1:2] == [b"LOGIN"]]


def _refuse(conn: Conn, tag: bytes, args: bytes) -> None:
    conn.send(tag + b" NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")


def _never_greets(conn: Conn) -> None:
    """Accept (TCP and TLS), then say nothing; ends when the client closes."""
    while conn.readline():
        pass


def _no_other():
    raise AssertionError("the early connection is taken first: no other is made")


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        return listener.getsockname()[1]


def account_on_port(port: int):
    """An account `work` whose incoming server is 127.0.0.1:`port` (nothing trusted)."""
    from tuimail.core.account import Account, ServerSettings

    return Account(
        name="work",
        email="bob@example.test",
        username="bob",
        incoming=ServerSettings(host="127.0.0.1", port=port, security="tls"),
        outgoing=ServerSettings(host="127.0.0.1", port=9, security="tls"),
    )


class DropFirst(ImapScript):
    """The first login is accepted, then the server closes that connection (before the
    client's next command: it idled out while the client was loading); later connections
    are served normally."""

    def __init__(self) -> None:
        super().__init__()
        self.logins = 0
        self._lock = threading.Lock()

    def cmd_login(self, conn: Conn, tag: bytes, args: bytes) -> None:
        with self._lock:
            self.logins += 1
            first = self.logins == 1
        super().cmd_login(conn, tag, args)
        if first:
            conn.close()


def test_the_sync_uses_the_early_connection_and_logs_in_once(scripted, cli) -> None:
    script = ImapScript()
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
        listed = cli("list", "work")
    assert run.code == 0, run.err
    assert "hello" in listed.out
    assert len(server.connections) == 1 and len(_logins(script)) == 1


def test_a_refused_login_is_said_once_and_never_tried_again(scripted, cli) -> None:
    script = ImapScript({"LOGIN": _refuse})
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
        assert server.client_left()
    error = assert_clean_failure(run)
    assert "refused the login for bob: [AUTHENTICATIONFAILED]" in error, error
    assert len(_logins(script)) == 1  # the early one was the only attempt


@pytest.mark.parametrize("pin", [None, "00" * 32], ids=["untrusted certificate", "changed key"])
def test_a_server_that_does_not_verify_gets_no_credential(scripted, cli, pin) -> None:
    """No trust anchor for the server's certificate (the system's CAs only), or a pinned
    key the server no longer has: refused in the handshake, before a word is sent."""
    script = ImapScript()
    with scripted(script) as server:
        account = save(server)
        incoming = dataclasses.replace(account.incoming, pinned_sha256=pin)
        save_account(dataclasses.replace(account, incoming=incoming, ca_file=None))
        run = cli("sync", "work")
        assert server.client_left()
    error = assert_clean_failure(run)
    assert "certificate" in error or "key" in error, error
    assert script.commands == []  # not even CAPABILITY: nothing at all was sent


def test_an_unreachable_server_is_said_as_before(scripted, cli) -> None:
    with scripted(ImapScript()) as server:
        account = save(server)
    moved = dataclasses.replace(account.incoming, port=_closed_port())
    save_account(dataclasses.replace(account, incoming=moved))
    run = cli("sync", "work")
    error = assert_clean_failure(run)
    assert "could not connect" in error or "refused" in error, error


def test_every_password_is_asked_before_anything_connects(scripted, cli, tmp_path) -> None:
    """The passwords are asked for in turn before anything connects (an early connection
    sends its password as soon as it is open): the second account's password command has
    run before the first account's server hears anything. (It fails: that account is
    said and left out, the other syncs, exit status 2.)"""
    asked = tmp_path / "second-asked"
    seen: list[bool] = []
    script = ImapScript()

    def recording(conn: Conn) -> None:
        seen.append(asked.exists())  # when the connection came
        script(conn)

    with scripted(recording) as server:
        account = save(server)
        failing = dataclasses.replace(
            account, name="zz-second", password_command=f"touch {asked}; exit 3"
        )
        save_account(failing)
        run = cli("sync")
    assert run.code == 2 and "zz-second" in run.err, run.err
    assert seen == [True]  # one connection (work's), after the second command ran
    assert len(_logins(script)) == 1


def test_a_password_command_that_fails_is_said_and_nothing_connects(scripted, cli) -> None:
    with scripted(ImapScript()) as server:
        account = save(server)
        save_account(dataclasses.replace(account, password_command="exit 7"))
        run = cli("sync", "work")
    error = assert_clean_failure(run)
    assert run.code == 2 and "password" in error, error
    assert server.connections == []


def test_a_connection_dropped_before_it_was_used_is_replaced(scripted, cli) -> None:
    script = DropFirst()
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
        listed = cli("list", "work")
    assert run.code == 0, run.err
    assert "hello" in listed.out  # nothing lost: the message came on the new connection
    assert len(server.connections) == 2 and script.logins == 2


# -- the early connection itself: the very error a connection made in place raises -------

FAILING = {
    "login refused": ImapScript({"LOGIN": _refuse}),
    "greeting BYE": ImapScript(greeting=b"* BYE [UNAVAILABLE] maintenance\r\n"),
    "garbage greeting": lambda conn: conn.send(b"HTTP/1.1 400 Bad Request\r\n\r\n"),
}


def _failure(opening) -> BaseException:
    try:
        client = opening()
    except Exception as exc:  # what the engine's first connect meets
        return exc
    raise AssertionError(f"connected: {client!r}")


def _same(one: BaseException, other: BaseException) -> None:
    from tuimail.words.describe import describe

    assert type(one) is type(other)
    for field in ("kind", "reason", "code", "server_text"):
        assert getattr(one, field, None) == getattr(other, field, None), field
    assert describe(one) == describe(other)


@pytest.mark.parametrize("script", FAILING.values(), ids=FAILING.keys())
def test_an_early_failure_is_the_error_connect_raises(scripted, script) -> None:
    with scripted(script) as server:
        account = dataclasses.replace(account_on(server), extra={"timeout": TIMEOUT})
        in_place = _failure(lambda: connect(account, PASSWORD, timeout=TIMEOUT))
        early = OpenedEarly(account, PASSWORD, TIMEOUT)
        fallback_calls: list[int] = []
        first = early.connector(lambda: fallback_calls.append(1))
        _same(_failure(first), in_place)
        assert fallback_calls == []  # the first connect was the early one, not a new one
        first()
        assert fallback_calls == [1]  # every later connect is a fresh connection


@pytest.mark.parametrize("pin", [None, "00" * 32], ids=["untrusted certificate", "changed key"])
def test_an_early_security_failure_is_the_error_connect_raises(scripted, pin) -> None:
    with scripted(ImapScript()) as server:
        account = account_on(server)
        account = dataclasses.replace(
            account, ca_file=None, incoming=dataclasses.replace(account.incoming, pinned_sha256=pin)
        )
        in_place = _failure(lambda: connect(account, PASSWORD, timeout=TIMEOUT))
        _same(_failure(OpenedEarly(account, PASSWORD, TIMEOUT).connector(_no_other)), in_place)


def test_an_unreachable_early_connection_is_the_error_connect_raises() -> None:
    account = account_on_port(_closed_port())
    in_place = _failure(lambda: connect(account, PASSWORD, timeout=TIMEOUT))
    _same(_failure(OpenedEarly(account, PASSWORD, TIMEOUT).connector(_no_other)), in_place)


def test_an_early_connection_nobody_takes_is_logged_out(scripted) -> None:
    script = ImapScript()
    with scripted(script) as server:
        early = OpenedEarly(account_on(server), PASSWORD, TIMEOUT)
        assert early.wait(30)
        early.close()
        assert server.client_left()
    assert [c.split(b" ")[1] for c in script.commands][-2:] == [b"LOGIN", b"LOGOUT"]


def test_closing_an_early_connection_still_opening_ends_it_at_once(scripted) -> None:
    """A server that never greets: close() shuts the connection down rather than waiting
    for the account's timeout (the server's hang guard would see a client that stayed)."""
    with scripted(_never_greets) as server:
        account = dataclasses.replace(account_on(server), extra={"timeout": 25})
        early = OpenedEarly(account, PASSWORD, 25)
        # The TCP and TLS part is done; the greeting waits (bounded: a connection that
        # failed instead never shows up, and the test fails rather than hangs)
        assert wait_for(lambda: bool(server.connections), timeout=20)
        assert not early.wait(0)  # still opening
        early.close()
        assert early.wait(10)
        assert server.client_left()


def test_the_password_is_never_in_what_the_early_thread_leaves(scripted) -> None:
    """A failure raised again in the taker's thread carries no secret in its words."""
    with scripted(ImapScript({"LOGIN": _refuse})) as server:
        error = _failure(OpenedEarly(account_on(server), PASSWORD, TIMEOUT).connector(_no_other))
    assert PASSWORD not in repr(error) and PASSWORD not in str(error)


def test_a_store_that_cannot_be_opened_is_one_sentence_and_the_login_is_undone(
    scripted, cli
) -> None:
    """The store is opened (in a thread of its own) while the connection opens: a store
    that is not a database fails the command in one sentence, as before, and the
    connection opened meanwhile is not left behind: logged out if its login was made,
    else shut down while still opening."""
    from tuimail.core.store.store import default_path

    script = ImapScript()
    with scripted(script) as server:
        save(server)
        path = default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"this is not a database, whatever its name says\n" * 100)
        run = cli("sync", "work")
        assert server.client_left()
    assert "not a database" in assert_clean_failure(run)
    said = [c.split(b" ")[1] for c in script.commands]
    assert b"LOGIN" not in said or said[-1] == b"LOGOUT", said


def test_closing_the_runtime_ends_a_pass_taking_an_early_connection_still_opening(
    scripted, tmp_path
) -> None:
    """The pass waits for the early connection (greeted, then nothing: the account's
    timeout is long); closing the account runtime shuts the connection being opened
    (its sockets were handed to the pass's engine), the pass ends at once and never
    connects again."""
    from tuimail.core.runtime import AccountRuntime
    from tuimail.core.secrets import Secret
    from tuimail.core.store import Store

    greeted = threading.Event()

    def greets_then_nothing(conn: Conn) -> None:
        conn.send(b"* OK ready\r\n")
        greeted.set()
        while conn.readline():
            pass

    with scripted(greets_then_nothing) as server:
        account = account_on(server)
        early = OpenedEarly(account, PASSWORD, 25)
        runtime = AccountRuntime(
            account,
            Store(tmp_path / "store.sqlite3"),
            password_for=lambda _a: Secret(PASSWORD),
            emit=lambda _e: None,
            timeout=25,
            opened_early=early,
        )
        passing = threading.Thread(target=runtime.sync)
        passing.start()
        assert greeted.wait(30)
        runtime.close()
        assert wait_for(lambda: not passing.is_alive(), timeout=20)  # not the 25 s timeout
        assert early.wait(10) and early.taken
        assert server.client_left()
        assert len(server.connections) == 1  # and it did not connect again
