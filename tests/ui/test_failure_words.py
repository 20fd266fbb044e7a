"""The app says what failed with the edge's words (tuimail.words) from the typed error
core hands out: a folder that fails is named in the status bar while the others sync,
and a busy server's code and words (markup among them) are shown literally."""

from __future__ import annotations

from tests.imap.helpers import message
from tests.ui.helpers import make_app, ready, refused_move, settle, wait_for
from tests.ui.markup_payloads import literal
from tuimail.core.errors import ProtocolViolation, ServerBusy
from tuimail.ui.widgets.status import StatusBar

GARBAGE = b"HTTP/1.1 400 Bad Request\r\n\r\n<html>\r\n"
PAYLOAD = "[b]Back[/b] at [@click=app.quit()]3[/]"


def _status(app) -> str:
    return str(app.main.query_one(StatusBar).render())


async def test_a_folder_that_fails_is_named_and_the_others_sync(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.store.create_folder(user.login, "Second")
    mail_server.deliver(user, message(1, "inbox"))
    mail_server.deliver(user, message(1, "second"), folder="Second")
    mail_server.faults.add(
        protocol="imap", kind="garbage", command="UID", match="INBOX", data=GARBAGE
    )
    app = make_app(mail_server, user)
    async with app.run_test(size=(160, 30)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await settle(pilot)
        state = app.service.states()["test"]
        assert [f.folder for f in state.failures] == ["INBOX"]
        assert isinstance(state.failures[0].error, ProtocolViolation)
        await wait_for(pilot, lambda: "INBOX: the mail server" in _status(app), timeout=10)
        assert "! test: INBOX: the mail server" in _status(app), _status(app)
        second = app.service.store.folder_id("test", "Second")
        assert app.service.store.count_messages(second) == 1


async def test_a_busy_servers_code_and_words_are_shown_literally(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="login_reply", message=f"[UNAVAILABLE] {PAYLOAD}")
    app = make_app(mail_server, user)
    async with app.run_test(size=(200, 30)) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=30)
        await settle(pilot)
        assert isinstance(app.service.states()["test"].error, ServerBusy)
        await wait_for(pilot, lambda: "[UNAVAILABLE]" in _status(app), timeout=10)
        status = _status(app)
        assert literal(PAYLOAD) in status and "retrying in" in status, status
        assert app.is_running  # the [@click=app.quit()] in the server's words ran nothing


def _two_of_three_offline(mail_server):
    """The app with accounts "home" (on the server), "work" and "club" (on a port
    nothing listens on)."""
    from dataclasses import replace

    from tests.sending.helpers import closed_port
    from tests.ui.helpers import NOW, account_for
    from tuimail.core.secrets import Secret
    from tuimail.core.service import MailService
    from tuimail.ui.app import TuimailApp

    user, other = mail_server.new_user(), mail_server.new_user()
    ok = account_for(mail_server, user, name="home")
    port = closed_port()
    accounts = {ok.name: ok}
    for name, who in (("work", user), ("club", other)):
        account = account_for(mail_server, who, name=name)
        accounts[name] = replace(account, incoming=replace(account.incoming, port=port))
    service = MailService(
        accounts, password_for=lambda a: Secret(user.password), idle=False, retry_after=60
    )
    return TuimailApp(service, now=NOW, sync_fallback=0.1)


async def _until_two_offline(pilot) -> None:
    app = pilot.app

    def offline() -> int:
        return sum(s.state == "offline" and s.error is not None
                   for s in app.service.states().values())  # fmt: skip

    await wait_for(pilot, lambda: offline() == 2, timeout=30)
    await wait_for(pilot, lambda: "2 accounts offline, retrying" in _status(app), timeout=10)
    await settle(pilot)


async def test_two_accounts_offline_at_80_columns_keep_the_status_bar_to_one_line(
    mail_server,
) -> None:
    """Regression: two offline accounts' sentences took three lines at 80 columns. They
    are summed up ("2 accounts offline, retrying") on one line, the healthy one by glyph
    and name; each account's own sentence is in the tooltip."""
    app = _two_of_three_offline(mail_server)
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.main.query_one(StatusBar)
        await _until_two_offline(pilot)
        assert bar.size.height == 1, _status(app)
        assert "● home" in _status(app) and "work" not in _status(app), _status(app)
        tip = str(bar.tooltip)
        assert "✕ work: " in tip and "✕ club: " in tip and "● home: " in tip, tip


async def test_an_error_with_no_room_left_on_the_summed_up_line_keeps_it_to_one_line(
    mail_server,
) -> None:
    """Regression: with two accounts offline the line had no room for a few words of a
    last error (a message queued in the outbox, say), so the whole error wrapped the bar
    onto three lines at 80 columns. The line goes without it: the error was said in a
    note, and it is whole in the bar's tooltip."""
    app = _two_of_three_offline(mail_server)
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.main.query_one(StatusBar)
        await _until_two_offline(pilot)
        said = "The message was not sent (the connection was lost); it waits in the outbox."
        app.show_error(said)
        await settle(pilot)
        assert bar.size.height == 1, _status(app)
        assert _status(app).rstrip().endswith("Outbox: 0"), _status(app)
        assert said in str(bar.tooltip), bar.tooltip
        assert [n.message for n in app._notifications].count(said) == 1


async def test_one_accounts_long_sentence_fits_the_80_column_status_bar(mail_server) -> None:
    """Regression: one account's refused login took three lines of the status bar at 80
    columns. The bar says it in a few words; the whole sentence is in its tooltip and
    said once in a note (not again as the bar is redrawn)."""
    user = mail_server.new_user()
    wrong = type(user)(login=user.login, password="wrong-password", email=user.email)
    app = make_app(mail_server, wrong)
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.main.query_one(StatusBar)
        await wait_for(pilot, lambda: "login refused" in _status(app), timeout=30)
        await settle(pilot)
        assert bar.size.height == 1, _status(app)
        assert "! test: login refused  Outbox: 0" in _status(app), _status(app)
        sentence = "refused the login for " + user.email
        assert sentence in str(bar.tooltip), bar.tooltip
        app.update_status()
        app.update_status()
        notes = [str(n.message) for n in app._notifications if sentence in str(n.message)]
        assert len(notes) == 1 and notes[0].startswith("test: "), notes


async def test_an_offline_account_at_80_columns_keeps_its_countdown_on_one_line(
    mail_server,
) -> None:
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    mail_server.stop()
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.main.query_one(StatusBar)
        await wait_for(pilot, lambda: "retrying in" in _status(app), timeout=30)
        await settle(pilot)
        assert bar.size.height == 1, _status(app)
        assert "✕ test: offline — retrying in " in _status(app), _status(app)
        assert "✕ test: the mail server" in str(bar.tooltip), bar.tooltip


async def test_a_long_last_action_error_keeps_the_80_column_status_bar_to_one_line(
    mail_server,
) -> None:
    """Regression: a refused move's sentence (the server's words in it) wrapped the status
    bar of a healthy account onto three lines at 80 columns. The bar shows its beginning;
    the whole sentence is in the bar's tooltip and said once in a note."""
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.handle_event(refused_move("test"))
        await settle(pilot)
        bar = app.main.query_one(StatusBar)
        assert bar.size.height == 1, _status(app)
        sentence = bar.error_cut
        assert "Archive/2024/Clients" in sentence and len(sentence) > 80, sentence
        assert _status(app).rstrip().endswith("…"), _status(app)
        assert "● test: up to date  Outbox: 0  A move was not" in _status(app), _status(app)
        assert sentence in str(bar.tooltip), bar.tooltip
        app.update_status()
        app.update_status()
        notes = [str(n.message) for n in app._notifications if sentence in str(n.message)]
        assert len(notes) == 1, notes


async def test_a_connection_failure_toast_reads_as_two_sentences(mail_server) -> None:
    """Regression: the words for a refused connection ("the mail server refused the
    connection") ran straight into the hint: "... the connection Press H to diagnose."
    The first sentence now starts with a capital and ends with a full stop."""
    import socket

    from tests.sending.helpers import closed_port

    user = mail_server.new_user()
    app = make_app(mail_server, user)
    port = closed_port()

    def connect() -> None:  # what a user action meets when the server went away
        socket.create_connection(("127.0.0.1", port), timeout=5).close()

    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        app.work(connect, "connect")
        said = "The mail server refused the connection. Press H to diagnose."
        await wait_for(pilot, lambda: any(n.message == said for n in app._notifications))


async def test_three_healthy_accounts_at_80_columns_keep_the_status_bar_to_one_line(
    mail_server,
) -> None:
    """Regression: three accounts' sentences ("● work-mail: up to date  ...") took two
    lines of the status bar at 80 columns all the time, and a last error then a third.
    When they do not fit, the accounts are shown by glyph and name; their sentences are
    in the tooltip."""
    from tests.ui.helpers import NOW, account_for
    from tuimail.core.secrets import Secret
    from tuimail.core.service import MailService
    from tuimail.ui.app import TuimailApp

    users = {name: mail_server.new_user() for name in ("personal", "work-mail", "newsletters")}
    accounts = {name: account_for(mail_server, user, name=name) for name, user in users.items()}
    passwords = {name: Secret(user.password) for name, user in users.items()}
    service = MailService(accounts, password_for=lambda a: passwords[a.name], idle=False)
    app = TuimailApp(service, now=NOW, sync_fallback=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: _status(app).count("●") == 3)
        bar = app.main.query_one(StatusBar)
        assert bar.size.height == 1, _status(app)
        assert "● personal  ● work-mail  ● newsletters  Outbox: 0" in _status(app)
        tip = str(bar.tooltip)
        assert "● personal: up to date" in tip and "● newsletters: up to date" in tip, tip
        said = "The message was not sent (the connection was lost); it waits in the outbox."
        app.show_error(said)
        await settle(pilot)
        assert bar.size.height == 1, _status(app)
        assert "Outbox: 0  The message was not" in _status(app), _status(app)
        assert said in str(bar.tooltip), bar.tooltip


async def test_an_account_left_without_a_password_says_so_in_the_80_column_bar(
    mail_server,
) -> None:
    """Regression: the password question answered with Esc left "! test: failed" in the
    status bar at 80 columns, which said nothing of what was missing. It says "no
    password" (the sentence is in the tooltip)."""
    from tests.ui.helpers import NOW, account_for
    from tuimail.core.secrets import PasswordError
    from tuimail.core.service import MailService
    from tuimail.ui.app import TuimailApp

    user = mail_server.new_user()
    account = account_for(mail_server, user)

    def none_entered(_account):
        raise PasswordError(problem="none-entered", login=user.email)

    service = MailService({account.name: account}, password_for=none_entered, idle=False)
    app = TuimailApp(service, now=NOW, sync_fallback=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "test: " in _status(app), timeout=30)
        await settle(pilot)
        assert "! test: no password  Outbox: 0" in _status(app), _status(app)
        assert "No password was entered for" in str(app.main.query_one(StatusBar).tooltip)


async def test_an_account_not_tried_yet_is_connecting_not_offline(tmp_path) -> None:
    """Regression: every start showed "press H to diagnose  ✕ work: offline" until the
    first pass began (up to a second): the runtime's initial state read as a failure.
    An account not tried yet is "⟳ work: connecting", with no diagnose hint."""
    from tuimail.core.account import Account, ServerSettings
    from tuimail.core.secrets import Secret
    from tuimail.core.service import MailService
    from tuimail.core.store import Store
    from tuimail.ui.app import TuimailApp

    account = Account(  # never contacted: the app starts without syncing
        name="work",
        email="me@example.test",
        incoming=ServerSettings("127.0.0.1", 9, "tls"),
        outgoing=ServerSettings("127.0.0.1", 9, "tls"),
    )
    store = Store(tmp_path / "s.db")
    service = MailService(
        {"work": account}, password_for=lambda a: Secret("x"), idle=False, store=store
    )
    app = TuimailApp(service, start_sync=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.main is not None and "work" in _status(app))
        await settle(pilot)
        assert _status(app).startswith("⟳ work: connecting  Outbox: 0"), _status(app)
        assert "diagnose" not in _status(app) and "offline" not in _status(app)
