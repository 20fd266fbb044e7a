"""`tuimail sync`, `tuimail watch` and the app share one orchestration (issue 13): each
goes through the account runtime (tuimail.core.runtime.AccountRuntime), and every sync
pass over the server runs inside it, never a second hand-written loop in the CLI. Over
the bundled server; the runtime's methods are watched (wrapped, still called), not
replaced."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from tests.cli.helpers import configure
from tests.imap.helpers import message
from tuimail.__main__ import main
from tuimail.core import runtime as runtime_module
from tuimail.core.imap.sync import SyncEngine
from tuimail.core.runtime import AccountRuntime

pytestmark = pytest.mark.timeout(120)
RUNTIME_FILE = Path(runtime_module.__file__).resolve()


@pytest.fixture
def calls(monkeypatch) -> list[tuple[str, str, bool]]:
    """(what, account, inside the runtime) for each runtime start/sync and engine pass."""
    seen: list[tuple[str, str, bool]] = []

    def inside_runtime() -> bool:
        return any(Path(f.filename).resolve() == RUNTIME_FILE for f in inspect.stack()[2:])

    def watch(cls, name: str, who) -> None:
        real = getattr(cls, name)
        label = f"{cls.__name__}.{name}"

        def wrapper(self, *args, **kwargs):
            seen.append((label, who(self), inside_runtime()))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    watch(AccountRuntime, "start", lambda r: r.account.name)
    watch(AccountRuntime, "sync", lambda r: r.account.name)
    watch(SyncEngine, "sync", lambda e: e.account.name)
    watch(SyncEngine, "sync_folder", lambda e: e.account.name)
    return seen


def _engine(calls, *, inside: bool) -> list:
    """The engine's passes made inside (or outside) the runtime."""
    return [c for c in calls if c[0].startswith("SyncEngine.") and c[2] is inside]


def test_tuimail_sync_runs_its_pass_through_the_runtime(mail_server, calls) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    configure(mail_server, user)
    assert main(["sync", "work"]) == 0
    assert ("AccountRuntime.sync", "work", False) in calls  # called by the CLI
    assert _engine(calls, inside=True), calls  # the engine's pass ran inside the runtime
    assert _engine(calls, inside=False) == [], calls


def test_tuimail_watch_starts_the_runtime(mail_server, calls, capsys) -> None:
    user = mail_server.new_user()
    account = configure(mail_server, user)
    account.password_command = "printf %s wrong-password"
    from tuimail.core.config import save_account

    save_account(account)
    assert main(["watch", "work"]) == 1  # the refused password ends it, said once
    assert [c[:2] for c in calls if c[0] == "AccountRuntime.start"] == [
        ("AccountRuntime.start", "work")
    ], calls
    assert "refused the login" in capsys.readouterr().err


def test_the_app_service_starts_each_account_through_the_runtime(
    mail_server, tmp_path, calls
) -> None:
    from tests.ui.helpers import account_for as ui_account
    from tuimail.core.secrets import Secret
    from tuimail.core.service import MailService
    from tuimail.core.store import Store

    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    account = ui_account(mail_server, user)
    service = MailService(
        {account.name: account},
        password_for=lambda _a: Secret(user.password),
        idle=False,
        store=Store(tmp_path / "store.sqlite3"),
    )
    try:
        service.start()
        assert service.backend(account.name).sync()
    finally:
        service.stop()
    assert ("AccountRuntime.start", account.name, False) in calls
    assert _engine(calls, inside=True), calls
    assert _engine(calls, inside=False) == [], calls
