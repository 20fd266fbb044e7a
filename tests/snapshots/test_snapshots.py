"""Snapshots of every screen and the main states, against the bundled server.

Deterministic: fixed sizes, demo messages with fixed dates, a fixed clock for the list,
no push connection (its state text would race), cursors not blinking, workers awaited.
Update after a reviewed rendering change: pytest tests/snapshots --snapshot-update
"""

from __future__ import annotations

from functools import partial

from textual.widgets import Input, TextArea

from tests.snapshots.helpers import bar_in_view, steady
from tests.ui.helpers import make_app, refused_move, seed, wait_for
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.composer import ComposerScreen


class TestMainScreen:
    """Folders and list at 100 and 120 columns (full subjects: the preview yields first),
    three panes from 140, and the narrow single-pane view."""

    def test_main_100x30_full_subjects(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)
        assert snap_compare(make_app(mail_server, user), terminal_size=(100, 30), run_before=steady)

    def test_main_120x40(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)
        assert snap_compare(make_app(mail_server, user), terminal_size=(120, 40), run_before=steady)

    def test_main_80x24(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)
        assert snap_compare(make_app(mail_server, user), terminal_size=(80, 24), run_before=steady)

    def test_main_160x50(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)
        assert snap_compare(make_app(mail_server, user), terminal_size=(160, 50), run_before=steady)

    def test_main_160x50_reader_focused(self, snap_compare, mail_server):
        """Enter in three panes: the reader takes the focus (its border lights up, the
        list's cursor dims) and the message is marked read."""
        user = mail_server.new_user()
        seed(mail_server, user)

        async def opened(pilot) -> None:
            await steady(pilot)
            await pilot.press("enter")
            await wait_for(pilot, lambda: pilot.app.main.reading)
            await steady(pilot)

        assert snap_compare(make_app(mail_server, user), terminal_size=(160, 50), run_before=opened)

    def test_reader_narrow(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user)

        async def open_second(pilot) -> None:
            await steady(pilot)
            await pilot.press("j", "j", "j", "j", "enter")
            await steady(pilot)

        assert snap_compare(
            make_app(mail_server, user), terminal_size=(80, 24), run_before=open_second
        )


class TestStates:
    """Empty account, syncing, offline, error."""

    def test_empty_account(self, snap_compare, mail_server):
        user = mail_server.new_user()
        assert snap_compare(make_app(mail_server, user), terminal_size=(100, 24), run_before=steady)

    def test_syncing(self, snap_compare, mail_server):
        user = mail_server.new_user()
        app = make_app(mail_server, user, sync=False)

        async def syncing(pilot) -> None:
            await steady(pilot)
            app.service.backend("test").state.state = "syncing"
            app.service.backend("test").state.activity = "syncing"
            app.service.backend("test").state.progress = ("INBOX", 0, 0)
            app.update_status()
            await pilot.pause()

        assert snap_compare(app, terminal_size=(100, 24), run_before=syncing)

    def test_offline(self, snap_compare, mail_server):
        user = mail_server.new_user()
        app = make_app(mail_server, user)
        mail_server.stop()
        assert snap_compare(app, terminal_size=(100, 24), run_before=steady)

    def test_login_error(self, snap_compare, mail_server):
        user = mail_server.new_user()
        wrong = type(user)(login=user.login, password="wrong-password", email=user.email)
        assert snap_compare(
            make_app(mail_server, wrong), terminal_size=(100, 24), run_before=steady
        )

    def test_offline_80x24(self, snap_compare, mail_server, monkeypatch):
        """One line of status bar: the account's sentence in a few words (whole in a
        note, cleared for the picture: it covers the bar's right side)."""
        user = mail_server.new_user()
        app = make_app(mail_server, user)
        mail_server.stop()
        shown = partial(bar_in_view, monkeypatch=monkeypatch, retrying=True)
        assert snap_compare(app, terminal_size=(80, 24), run_before=shown)

    def test_login_error_80x24(self, snap_compare, mail_server, monkeypatch):
        user = mail_server.new_user()
        wrong = type(user)(login=user.login, password="wrong-password", email=user.email)
        shown = partial(bar_in_view, monkeypatch=monkeypatch)
        assert snap_compare(make_app(mail_server, wrong), terminal_size=(80, 24), run_before=shown)

    def test_last_action_error_80x24(self, snap_compare, mail_server, monkeypatch):
        """A refused move's long sentence: its beginning on the bar's one line (whole in
        a note, cleared for the picture)."""
        user = mail_server.new_user()
        seed(mail_server, user, 2)
        app = make_app(mail_server, user)

        async def refused(pilot) -> None:
            await steady(pilot)
            app.handle_event(refused_move("test"))
            await bar_in_view(pilot, monkeypatch)

        assert snap_compare(app, terminal_size=(80, 24), run_before=refused)


class TestOtherScreens:
    """Composer (a reply), the move dialog, help, and the first-run wizard."""

    def test_composer_reply(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user, 3)
        app = make_app(mail_server, user)

        async def reply(pilot) -> None:
            await steady(pilot)
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
            await steady(pilot)

        assert snap_compare(app, terminal_size=(100, 30), run_before=reply)

    def test_move_picker_filtered(self, snap_compare, mail_server):
        user = mail_server.new_user()
        seed(mail_server, user, 2)

        async def pick(pilot) -> None:
            await steady(pilot)
            await pilot.press("m")
            await pilot.pause()
            await pilot.press("r", "c")  # fuzzy filter: "rc" keeps Archive only
            await steady(pilot)

        assert snap_compare(make_app(mail_server, user), terminal_size=(100, 24), run_before=pick)

    def test_help(self, snap_compare, mail_server):
        user = mail_server.new_user()
        assert snap_compare(
            make_app(mail_server, user),
            press=["question_mark"],
            terminal_size=(100, 40),
            run_before=steady,
        )

    def test_wizard(self, snap_compare):
        assert snap_compare(TuimailApp(None), terminal_size=(100, 40), run_before=steady)


def test_inputs_do_not_blink_in_snapshots():
    """The helper above really switches blinking off (else snapshots would flap)."""
    assert hasattr(Input, "cursor_blink") and hasattr(TextArea, "cursor_blink")
