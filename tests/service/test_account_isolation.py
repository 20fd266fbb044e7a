"""One account failing never affects another (issue 13): beside an account whose password
is refused and one whose server answers garbage, a good account syncs all its mail, in
the app's service and through `tuimail sync`. Over the bundled server and a scripted
hostile server, verification on."""

from __future__ import annotations

import shlex
import threading

import pytest

from tests.hostile.scripted import Conn, ScriptedServer
from tests.imap.helpers import account_for, message
from tests.service.helpers import wait_for
from tuimail.__main__ import main
from tuimail.core.account import Account
from tuimail.core.config import save_account
from tuimail.core.errors import ProtocolViolation
from tuimail.core.retry import Phase
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import Store

pytestmark = pytest.mark.timeout(120)


def _garbage(conn: Conn) -> None:
    conn.send(b"HTTP/1.1 400 Bad Request\r\n\r\n")


def _accounts(mail_server, garbage: ScriptedServer) -> tuple[dict[str, Account], dict, object]:
    good, refused = mail_server.new_user(), mail_server.new_user()
    for i in range(1, 4):
        mail_server.deliver(good, message(i, "good"))
    mail_server.deliver(refused, message(1, "never seen"))
    accounts = {
        "refused": account_for(mail_server, refused, name="refused"),
        "broken": account_for(mail_server, refused, name="broken"),
        "good": account_for(mail_server, good, name="good"),
    }
    broken = accounts["broken"]
    broken.incoming.host, broken.incoming.port = garbage.host, garbage.port
    broken.ca_file = garbage.ca_file
    passwords = {"refused": "wrong", "broken": "pw", "good": good.password}
    return accounts, passwords, good


def test_the_app_syncs_a_good_account_beside_two_failing_ones(mail_server, test_ca, tmp_path):
    with ScriptedServer(test_ca, _garbage) as garbage:
        accounts, passwords, _good = _accounts(mail_server, garbage)
        store = Store(tmp_path / "store.sqlite3")
        service = MailService(
            accounts,
            password_for=lambda a: Secret(passwords[a.name]),
            idle=False,
            store=store,
            retry_after=30,
        )
        try:
            service.start()
            states = service.states()
        finally:
            service.stop()
    assert states["refused"].phase == Phase.NEEDS_PASSWORD.value
    assert states["broken"].phase == Phase.OFFLINE_RETRYING.value
    assert isinstance(states["broken"].error, ProtocolViolation)
    assert states["good"].phase == Phase.ONLINE.value and states["good"].error is None
    rows = store.message_rows(store.folder_id("good", "INBOX"), 0, 10)
    assert sorted(r.subject for r in rows) == ["good 1", "good 2", "good 3"]


def test_tuimail_sync_syncs_a_good_account_beside_two_failing_ones(
    mail_server, test_ca, capsys
) -> None:
    with ScriptedServer(test_ca, _garbage) as garbage:
        accounts, passwords, _good = _accounts(mail_server, garbage)
        for name, account in accounts.items():
            account.password_command = f"printf %s {shlex.quote(passwords[name])}"
            save_account(account)
        capsys.readouterr()
        assert main(["sync"]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "refused the login" in captured.err
    assert main(["list", "good"]) == 0
    listed = capsys.readouterr().out
    assert all(f"good {i}" in listed for i in (1, 2, 3)), listed


def _silent(release: threading.Event):
    """A server that greets and then says nothing until `release` (at most 60 s)."""

    def silent(conn: Conn) -> None:
        conn.send(b"* OK ready\r\n")
        release.wait(60)

    return silent


def _good_and_slow(mail_server, server: ScriptedServer):
    """A user with one message, and an account "a-slow" of it on the silent `server`
    (a 60 s timeout): the good account's twin that never answers."""
    good = mail_server.new_user()
    mail_server.deliver(good, message(1, "good"))
    slow = account_for(mail_server, good, name="a-slow")
    slow.incoming.host, slow.incoming.port = server.host, server.port
    slow.ca_file = server.ca_file
    slow.extra["timeout"] = 60
    return good, slow


@pytest.mark.parametrize("how", ["start", "sync_all"])
def test_a_silent_server_does_not_hold_back_another_accounts_sync(
    mail_server, test_ca, tmp_path, how
) -> None:
    """The first account's server greets and then says nothing (its timeout is long):
    at start-up and at "sync every account now" (ctrl+r) the second account is online
    with its mail while the first still waits; neither waits for the other's pass."""
    release = threading.Event()

    with ScriptedServer(test_ca, _silent(release)) as server:
        good, slow = _good_and_slow(mail_server, server)
        accounts = {"a-slow": slow, "good": account_for(mail_server, good, name="good")}
        service = MailService(
            accounts,
            password_for=lambda _a: Secret(good.password),
            idle=False,
            store=Store(tmp_path / "store.sqlite3"),
            retry_after=30,
        )
        starting = threading.Thread(target=getattr(service, how))
        starting.start()
        try:
            online = wait_for(lambda: service.states()["good"].phase == Phase.ONLINE.value)
            assert online, service.states()
            assert starting.is_alive()  # the silent account is still waiting
            inbox = service.store.folder_id("good", "INBOX")
            assert service.store.count_messages(inbox) == 1
        finally:
            release.set()  # the server closes: the silent account's pass ends
            starting.join(30)
            service.stop()
    assert not starting.is_alive()
    assert service.threads() == []


def test_tuimail_sync_does_not_hold_an_account_behind_a_silent_server(
    mail_server, test_ca, tmp_path
) -> None:
    """`tuimail sync` of two accounts, the first one's server silent after its greeting
    (a long timeout): the second account's mail is stored while the first still waits."""
    release = threading.Event()

    with ScriptedServer(test_ca, _silent(release)) as server:
        good, slow = _good_and_slow(mail_server, server)
        for account in (slow, account_for(mail_server, good, name="good")):
            account.password_command = f"printf %s {shlex.quote(good.password)}"
            save_account(account)
        codes: list[int] = []
        running = threading.Thread(target=lambda: codes.append(main(["sync"])))
        running.start()
        try:
            store = Store()

            def stored() -> bool:
                try:
                    return store.count_messages(store.folder_id("good", "INBOX")) == 1
                except Exception:  # the folder is not there yet
                    return False

            assert wait_for(stored, timeout=40), "the good account waited for the silent one"
            assert running.is_alive()  # the silent account is still waiting
        finally:
            release.set()  # the server closes: the silent account's pass ends
            running.join(60)
    assert not running.is_alive() and codes == [1]
