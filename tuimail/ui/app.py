"""The Textual application: wires the service to the screens.

All service calls run in thread workers (`exit_on_error=False`); their failures become
on-screen messages. Service events arrive on other threads and hop over with
`hop` (never blocking the worker on the UI).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, SuspendNotSupported, SystemCommand
from textual.binding import Binding
from textual.reactive import Reactive
from textual.worker import Worker, WorkerState, get_current_worker

from tuimail.core import start_gc
from tuimail.core.errors import AuthenticationFailed
from tuimail.core.facade.views import SEARCH
from tuimail.core.sanitize import sanitize
from tuimail.core.service import (
    UNIFIED,
    Draft,
    FolderInfo,
    MailService,
    MessageRow,
    QueuedError,
    ServiceEvent,
    StoreSource,
    inbox_of,
)
from tuimail.ui import textual_fixes
from tuimail.ui.first_read import FirstRead
from tuimail.ui.handover import handed_over
from tuimail.ui.idle_gc import EVERY, IdleCollector
from tuimail.ui.latest import Latest
from tuimail.ui.palette import FolderCommands
from tuimail.ui.plain import markup_literal, notify, plain_text
from tuimail.ui.screens.main import MAIN_BINDINGS, MainScreen
from tuimail.ui.settings import UiSettings
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import NEAR, Loaded, MessageList, load
from tuimail.ui.widgets.reader import ReaderPane
from tuimail.ui.widgets.status import StatusBar
from tuimail.words.plain import folder as folder_words
from tuimail.words.status import back_online, troubled
from tuimail.words.status import event as event_words
from tuimail.words.status import state as state_words

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # imported when first used: not needed for the first paint
    from tuimail.core.message_files import PipeResult
    from tuimail.core.thread_list import ThreadSource
    from tuimail.ui.screens.composer import ComposerScreen

SORTS = ("date", "sender", "subject", "size")
# The rules of the screens not shown at start (their CSS_PATH), read once the user is idle:
# every stylesheet in screens/ (a test checks each screen's CSS_PATH is one of them)
SCREENS_DIR = Path(__file__).parent / "screens"
DIAGNOSE_KEY = "H"  # "D" is taken by delete_folder
INLINE_THREADS = 20_000  # thread trees up to this many rows are rebuilt on the UI thread
FREEZE_TREE = 20_000  # a thread tree of more rows is frozen out of the collector's walks
ERROR_SECONDS = 60.0  # an error leaves the status bar after this long (or on a success)


_SIGN_IN_LOCK = threading.Lock()  # one OAuth sign-in dialog at a time
textual_fixes.apply()
_START_FROZEN = False  # start-up's objects were frozen out of the garbage collector


def _place_cursor(lst: MessageList, index: int, message_id: int) -> None:
    """The cursor on message `message_id`, looked for near row `index` (the list changed
    a little meanwhile: new mail, a deletion), else on that row. Not a move by the user."""
    low, high = max(0, index - NEAR), min(lst.count, index + NEAR)
    for i in sorted(range(low, high), key=lambda i: abs(i - index)):
        row = lst.row_at(i)
        if row is not None and row.id == message_id:
            lst.cursor = i
            return
    lst.cursor = max(0, min(index, lst.count - 1))


class TuimailApp(App[None]):
    CSS_PATH = "tuimail.tcss"
    COMMANDS = App.COMMANDS | {FolderCommands}
    TITLE = "tuimail"
    SYNC_FALLBACK = 1.0  # s: the first sync starts by then when no list was painted
    FIRST_READ_WAIT = 0.1  # s the main screen waits at most for the read begun at start
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit"),
        Binding(DIAGNOSE_KEY, "diagnose", "Diagnose account", show=False, id="diagnose"),
    ]
    # The header's title line follows the sub-title by itself (it watches it); Textual's
    # own sub_title also repaints the whole screen each time it is set (every folder
    # shown, search, tag): 20-40 ms of the loop at 160x50 (issue 19).
    sub_title: Reactive[str] = Reactive("", compute=False, repaint=False)

    def __init__(
        self,
        service: MailService | None,
        *,
        keymap: dict[str, str] | None = None,
        now: datetime | None = None,
        bell: bool = False,
        start_sync: bool = True,
        wizard: Callable[[], Any] | None = None,
        compose: Any = None,
        ui: UiSettings | None = None,
        notes: list[str] | None = None,
        notify_setting: str = "auto",
        new_mail_command: str | None = None,
        theme: str | None = None,
        save_theme: Callable[[str], Any] | None = None,
        sync_fallback: float | None = None,
    ) -> None:
        """`sync_fallback`: seconds after the main screen opens when the first sync starts
        if no list was painted by then (no folder yet); default SYNC_FALLBACK (tests on an
        empty store shorten it)."""
        super().__init__()
        from tuimail.core.hooks import notification_kind

        self.notify_kind = notification_kind(notify_setting)  # "osc9", "osc777", "bell", "off"
        self.new_mail_command = new_mail_command
        self.terminal_notes: list[str] = []  # escape sequences sent (tests read them)
        self._theme_start = theme
        self._save_theme = save_theme
        self._compose_start = compose  # a MailtoStart: open on a new message
        self.service = service
        self.ui = ui or UiSettings()  # [ui]: list columns, mark_read_delay
        self.start_notes = list(notes or [])  # config values ignored (said once on start)
        self.now = now  # a fixed clock for snapshots
        self._offline_since: dict[str, str] = {}  # account -> when it went offline
        self._drafts_online: set[str] = set()  # accounts whose waiting drafts were sent up
        self._told_trouble: dict[str, str] = {}  # account -> its sentence, said in a note
        self._told_error = ""  # the last error said whole in a note
        self._countdown: Any = None  # while an account waits to retry: the bar each second
        self.bell_on_new_mail = bell
        self.start_sync = start_sync
        self.sync_fallback = self.SYNC_FALLBACK if sync_fallback is None else sync_fallback
        self.wizard_factory = wizard
        self.account = ""
        self.folder = ""
        self.sort = "date"
        self.reverse = False  # the sort (or the threads) the other way round
        self.threaded = False
        self._errors_said = 0  # how many errors were said (last_error), to tell new ones
        self.last_error = ""
        self.doctor_options: dict[str, Any] = {}  # timeout, nameserver (tests: the test DNS)
        self.search_title = ""  # the header while search results are shown
        self.search_query = ""  # what was searched for (sanitized), for that header
        self._folder_infos: list | None = None  # the folders as refresh_folders last read
        self.before_search: tuple[str, str] | None = None  # where Esc/q goes back to
        # ... and where its cursor was: (row index, message id)
        self._cursor_before_search: tuple[int, int] | None = None
        self._keymap = {k: str(v) for k, v in (keymap or {}).items()}
        self._reading: MessageRow | None = None
        self._action_queue: deque[tuple[Callable[[], str | None], str]] = deque()
        self._action_running = False
        # Store reads for the screen run off the loop, the latest request winning (issue 19)
        self._list_reads = Latest(self, "list")
        self._service_waits = False  # the first sync waits for the first painted rows
        self._after_paint_waits = False  # so do the drafts' recovery and the collector
        self._other_css_read = False  # the other screens' rules (_read_other_css)
        self._folder_reads = Latest(self, "folders")
        self._shown_list: tuple = ()  # (account, folder, sort, reverse) the flat list shows
        self.synced = False
        self._quitting = False
        self._first_rows: tuple | None = None  # (account, folder, sort, reverse, Loaded)
        # The first read (folders, the inbox's first rows) starts now, with the app: it is
        # done when the main screen mounts (tuimail.ui.first_read)
        self._first_read = None
        if service is not None and service.accounts:
            wanted = (self.sort, self.reverse)
            self._first_read = (wanted, FirstRead(partial(_read_first, service, *wanted)))
        self._idle_gc = IdleCollector()
        self._idle_gc_timer = False
        if service is not None:
            service.listener = self._from_service
            if service._password_for is None:  # ask in a dialog when nothing else has it
                service._password_for = self.ask_password

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self._idle_gc.input_seen()  # no full collection while the user acts
        await super().on_event(event)

    # -- start ------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._watch_hangup()
        if self._keymap:
            self.set_keymap(self._keymap)
        self._apply_theme()
        for note in self.start_notes:
            notify(self, note, severity="warning", timeout=15)
        if self.service is None or not self.service.accounts:
            start_gc.resume(collect=True)  # no list to paint first: the wizard runs as any screen
            self.push_screen(self._make_wizard(), self.account_added)
            return
        self.open_main()

    def _apply_theme(self) -> None:
        """The `theme` of the config; a theme chosen later (palette) is saved there."""
        name = self._theme_start
        if name:
            if name in self.available_themes:
                self.theme = name
            else:
                known = ", ".join(sorted(self.available_themes)[:6])
                notify(
                    self,
                    f"The config's theme {name!r} is unknown; using {self.theme} "
                    f"(themes: {known}, …; Ctrl+P, Change theme, picks and saves one).",
                    severity="warning",
                    timeout=15,
                )
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme) -> None:
        if self._save_theme is None or theme.name == self._theme_start:
            return
        self._theme_start = theme.name
        try:
            self._save_theme(theme.name)
        except Exception as exc:  # the theme works for this session anyway
            self.show_error(f"The theme could not be saved: {describe(exc)}")

    def open_main(self) -> None:
        assert self.service is not None
        self.push_screen(MainScreen())
        # Once the first rows are on screen (a thread shares the GIL with the first
        # paint), else soon after: drafts left by a killed tuimail, then the first sync.
        self._after_paint_waits = True
        self._service_waits = self.start_sync
        self.set_timer(self.sync_fallback, partial(self._start_service_unless_loading, 10))
        if self._compose_start is not None:
            start, self._compose_start = self._compose_start, None
            self.compose_from(start)

    def recover_drafts(self) -> None:
        """Messages being written when an earlier tuimail was killed (core.draft_recovery)
        become drafts (here and in the server's Drafts), and a note says so."""
        from tuimail.core import draft_recovery
        from tuimail.words.sent import recovered_without_words, recovered_words

        service = self.service
        if service is None:
            return

        def job() -> tuple[list[str], list[str]]:
            subjects: list[str] = []
            left_out: list[str] = []
            for kept in draft_recovery.pending():
                if kept.fields.get("account") not in service.accounts:
                    continue  # an account no longer configured: the file stays
                draft = Draft(**kept.fields)
                # Attachments carried from a forwarded message were bytes in memory, not
                # kept on disk: the text is recovered without them (it failed whole, and
                # silently, at every start), and the note names them.
                missing = [a for a in draft.attachments if not Path(a).expanduser().is_file()]
                draft.attachments = [a for a in draft.attachments if a not in missing]
                try:
                    service.save_draft(draft)
                except Exception:  # one that fails does not stop the others; kept
                    log.exception("recovering a message that was being written failed")
                    continue
                draft_recovery.forget(kept.key)
                subjects.append(kept.fields.get("subject") or "(no subject)")
                left_out += missing
            return subjects, left_out

        def done(found: tuple[list[str], list[str]]) -> None:
            subjects, left_out = found
            if subjects:
                said = recovered_words(subjects)
                if left_out:
                    said += " " + recovered_without_words(left_out)
                notify(self, said, timeout=15)
                self.reload_list()

        self.work(job, "recover", done)

    def _start_service_unless_loading(self, patience: int) -> None:
        """The timer's start: while the first list is still being read or not yet shown (a
        slow machine), wait for it a little longer (`patience` more half-seconds), then start anyway.
        The folders read and no folder open (a first start: the store has none yet):
        nothing to wait for."""
        opened = bool(self.account)
        shown = self._shown_list or self.threaded
        reading = self._folder_reads.busy or self._list_reads.busy
        first_list_pending = reading or (opened and not shown)
        if self._after_paint_waits and first_list_pending and patience > 0:
            self.set_timer(0.5, partial(self._start_service_unless_loading, patience - 1))
            return
        self._after_first_paint(painted=False)

    def _after_first_paint(self, painted: bool = True) -> None:
        """What waits for the first painted list (or the timer when none comes): the
        collector back on (tuimail.core.start_gc: start-up's garbage is collected when
        the user is idle, or at once without a paint), drafts recovered, the first sync."""
        if not self._after_paint_waits:
            return
        self._after_paint_waits = False
        start_gc.resume(collect=not painted)
        self.recover_drafts()
        self._start_service()

    def _start_service(self) -> None:
        """Start the accounts' sync and push: once, whichever of the first painted list
        and the 1 s timer comes first."""
        if not self._service_waits:
            return
        self._service_waits = False
        if self.service is not None:
            self.run_worker(self.service.start, thread=True, exit_on_error=False, name="sync")

    def compose_from(self, start) -> None:
        """A new message from a mailto: link or `tuimail compose` (already sanitised)."""
        if self.service is None:
            return
        account, identity = self._default_account(), ""
        for candidate in self.service.identities() if start.sender else []:
            if candidate.key == start.sender.lower():  # `tuimail compose --from`
                account, identity = candidate.account, candidate.email
                break
        try:
            draft = self.service.new_draft(account, identity)  # with the signature
        except Exception:
            draft = Draft(account=account, identity=identity)
        draft.to = ", ".join(start.to)
        draft.cc = ", ".join(start.cc)
        draft.bcc = ", ".join(start.bcc)
        draft.subject = start.subject
        if start.body:
            draft.body = start.body.rstrip("\n") + "\n" + draft.body
        draft.in_reply_to = start.in_reply_to or ""
        self.open_composer(draft)
        if start.ignored:  # said, never done silently (an attachment= is never attached)
            from tuimail.words.compose import mailto_ignored

            notify(self, mailto_ignored(start.ignored), severity="warning", timeout=10)

    def account_added(self, account) -> None:
        """The wizard saved an account: start on it (first run) or add it."""
        if account is None:
            if self.service is None or not self.service.accounts:
                self.exit()
            return
        if self.service is None:
            from tuimail.core.service import MailService

            self.service = MailService(
                {account.name: account},
                listener=self._from_service,
                password_for=self.ask_password,
            )
            self.open_main()
            return
        service = self.service
        service.add_account(account)
        self.work(lambda: service.start_account(account.name), "sync")

    def action_add_account(self) -> None:
        self.push_screen(self._make_wizard(), self.account_added)

    def _make_wizard(self):
        if self.wizard_factory is not None:
            return self.wizard_factory()
        from tuimail.ui.screens.wizard import WizardScreen

        return WizardScreen()

    @property
    def main(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    # -- workers ----------------------------------------------------------------------

    def work(self, fn: Callable[[], Any], name: str, done: Callable[[Any], None] | None = None):
        """Run `fn` in a thread; `done(result)` runs on the UI thread; errors are shown."""

        def finish(result: Any) -> None:
            try:
                done(result)  # type: ignore[misc]
            except Exception as exc:  # a bug must not take the app down
                self.show_error(describe(exc))

        def runner() -> Any:
            try:
                result = fn()
            except Exception as exc:
                # Told by on_worker_state_changed. Raised out of the worker, Textual would
                # build a rich Traceback of it on the UI thread (tens of ms the first time).
                get_current_worker().failed_with = exc  # type: ignore[attr-defined]
                return None
            if done is not None:
                self.hop(finish, result)
            return result

        worker = self.run_worker(runner, thread=True, exit_on_error=False, name=name, group=name)
        worker.errors_before = self._errors_said  # type: ignore[attr-defined]
        return worker

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self._idle_gc.input_seen()  # its result is about to be shown: not idle yet
        failed = getattr(event.worker, "failed_with", None)
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            failed = event.worker.error
        if failed is not None and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.show_error(describe(failed), diagnose=_connection_error(failed))
        name = event.worker.name or ""
        ok = event.state == WorkerState.SUCCESS and failed is None
        before = getattr(event.worker, "errors_before", self._errors_said)
        if ok and self.last_error and _user_job(name) and before == self._errors_said:
            # Something the user asked for worked: the old error is over (not one said
            # while it ran: the server refused what was done here, say).
            self.last_error = ""
            self.update_status()
        if event.worker.name == "sync" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.synced = True
            self.refresh_folders()

    @property
    def last_error(self) -> str:
        """The error the status bar shows; it expires after ERROR_SECONDS."""
        return self._last_error

    @last_error.setter
    def last_error(self, text: str) -> None:
        self._last_error = text
        if text:  # counted: an action's end clears only errors said before it started
            self._errors_said += 1
        timer = getattr(self, "_error_timer", None)
        if timer is not None:
            timer.stop()
            self._error_timer = None
        if text and self.is_running:
            self._error_timer = self.set_timer(ERROR_SECONDS, self._expire_error)

    def _expire_error(self) -> None:
        self._error_timer = None
        self._last_error = ""
        self.update_status()

    def show_error(self, text: str, diagnose: bool = False) -> None:
        self.last_error = text
        self._told_error = text  # said whole in this note
        said = text
        if diagnose:  # a second sentence follows: the first one must read as one
            said = _as_sentence(text) + f" Press {self.diagnose_key()} to diagnose."
        notify(self, said, severity="error", timeout=8)
        self.update_status()

    # -- events from the service ------------------------------------------------------

    def hop(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)` on the UI thread without waiting for it. (call_from_thread
        waits, and a worker waiting on a UI that is shutting down would hang the exit.)"""
        loop = self._loop
        if loop is None or loop.is_closed() or self._quitting:
            return

        def run() -> None:
            if self._quitting:
                return
            with self._context():
                try:
                    fn(*args)
                except Exception as exc:  # never crash the UI from a callback
                    self.last_error = describe(exc)

        try:
            loop.call_soon_threadsafe(run)
        except RuntimeError:  # the loop closed meanwhile
            pass

    def _from_service(self, event: ServiceEvent) -> None:
        self.hop(self.handle_event, event)

    def handle_event(self, event: ServiceEvent) -> None:
        try:
            self._handle_event(event)
        except Exception as exc:  # never crash on an event
            self.last_error = describe(exc)

    def _handle_event(self, event: ServiceEvent) -> None:

        if event.kind == "folders" and getattr(event, "renamed_to", ""):
            self._follow_rename(event.account, event.folder, event.renamed_to)
        if event.kind in ("error", "warning"):
            self.last_error = event_words(event)
            if isinstance(getattr(event, "error", None), AuthenticationFailed):
                self._ask_password_again(event.account)
        elif event.kind == "sent":
            notify(self, event_words(event))
        elif event.kind == "alert":  # RFC 3501 7.1: MUST be shown; plain text, once
            said = f"{event.account}: {event.text}"
            notify(self, said, title="The server says", severity="warning", timeout=30)
        if event.kind in ("outbox", "sent"):
            self._reload_outbox_view()
        elif event.kind == "new-mail":
            noun = "message" if event.count == 1 else "messages"
            notify(self, f"{event.count} new {noun} in {event.account}", title="New mail")
            if self.bell_on_new_mail:
                self.bell()
            self.tell_new_mail(event)
        # "new-mail" always follows a "messages" event for the same folder, which has
        # already re-read the folders and the list: reading them again at 100k messages
        # only stalls the loop (issue 19).
        if event.kind in ("folders", "messages"):
            self.refresh_folders()
            if event.kind == "folders" or (
                self.account in (event.account, UNIFIED)
                and (self.folder in (event.folder, SEARCH) or self.account == UNIFIED)
            ):
                self.reload_list()
        self.update_status()

    def tell_new_mail(self, event: ServiceEvent) -> None:
        """New mail: the terminal is told (OSC 9 / OSC 777 / bell, see [notify]) and
        new_mail_command runs once per message, the message only in its environment."""
        from tuimail.core.hooks import from_rows, notification, run_command
        from tuimail.words.actions import new_mail

        service, kind, command = self.service, self.notify_kind, self.new_mail_command
        if service is None or (kind == "off" and not command):
            return
        count = event.count
        rows = list(getattr(event, "messages", None) or [])

        def told(messages: list) -> None:
            sequence = notification(kind, *new_mail(messages, count))
            if sequence == "\a":
                if not self.bell_on_new_mail:  # rung already
                    self.bell()
            elif sequence:
                self.terminal_notes.append(sequence)
                driver = self._driver
                if driver is not None:
                    driver.write(sequence)
                    driver.flush()
            if command:
                self.work(lambda: [run_command(command, m, count) for m in messages], "hook")

        if rows:  # the runtime's event carries the store's rows
            told(from_rows(rows))
            return
        self.work(lambda: service.new_messages(event.account, event.folder, count), "new", told)

    def update_status(self) -> None:

        main = self.main
        if main is None or self.service is None:
            return
        states = self.service.states()
        error = self.last_error
        if any(error and error in state_words(state) for state in states.values()):
            error = ""
        self._tell_recoveries(states)
        self._upload_waiting_drafts(states)
        bars = main.query(StatusBar)
        if not bars:  # the screen is being taken down (quit) or not yet composed
            return
        bar = bars.first(StatusBar)
        waiting = max(len(self.service.outbox), self.service.outbox_waiting)
        bar.update_status(
            states,
            waiting,
            error,
            diagnose_key=self.diagnose_key(),
            held=min(getattr(self.service, "outbox_held_count", 0), waiting),
        )
        self._tell_trouble(bar.shortened, states)
        if bar.error_cut and bar.error_cut != self._told_error:
            # The bar shows only its beginning: said whole once (and in the bar's tooltip).
            self._told_error = bar.error_cut
            notify(self, bar.error_cut, severity="error", timeout=15)
        # "retrying in N s" counts down: said again each second while an account waits
        waiting = any(getattr(s, "retry_at", None) for s in states.values())
        if waiting and self._countdown is None:
            self._countdown = self.set_interval(1, self.update_status, name="retry-countdown")
        elif not waiting and self._countdown is not None:
            self._countdown.stop()
            self._countdown = None

    def _tell_trouble(self, shortened: dict[str, str], states: dict) -> None:
        """An account's sentence the status bar had to say in a few words is said whole
        once in a note (and stays in the bar's tooltip and Diagnose); again only when it
        changes, or after the account recovered."""
        told = self._told_trouble
        for name in list(told):
            if name not in states or not troubled(states[name]):
                del told[name]
        for name, sentence in shortened.items():
            if told.get(name) != sentence:
                told[name] = sentence
                notify(self, f"{name}: {sentence}", severity="warning", timeout=15)

    def _upload_waiting_drafts(self, states: dict) -> None:
        """An account online (at start, or back from an outage): the drafts saved while
        its server could not take them go to its Drafts folder, once per time online."""
        service, checked = self.service, self._drafts_online
        if service is None:
            return
        for name, state in states.items():
            if state.phase != "online":
                checked.discard(name)
                continue
            if name in checked:
                continue
            checked.add(name)

            def told(went: int, name: str = name) -> None:
                if went:
                    noun = (
                        "draft saved on this computer only is"
                        if went == 1
                        else ("drafts saved on this computer only are")
                    )
                    notify(self, f"{went} {noun} now in {name}'s Drafts.", timeout=8)

            self.work(partial(service.upload_waiting_drafts, name), f"drafts-{name}", told)

    def _tell_recoveries(self, states: dict) -> None:
        """An account back from an outage (offline-retrying -> online) is told once in a
        sentence, with when it went offline: the status bar alone only stops saying so."""

        since = self._offline_since
        for name, state in states.items():
            if state.phase == "offline-retrying":
                since.setdefault(name, datetime.now().strftime("%H:%M"))
            elif state.phase == "online" and name in since:
                notify(self, back_online(name, since.pop(name)), timeout=8)
            elif state.phase != "connecting":
                since.pop(name, None)  # a password or certificate problem: said otherwise

    # -- folders and list -------------------------------------------------------------

    def refresh_folders(self) -> None:
        """Re-read the folders and their counts (in a worker: at 100,000 messages the
        unread counts are milliseconds of SQLite) and show them; the first time, open the
        inbox."""
        service = self.service
        if self.main is None or service is None:
            return
        if self.account or self.threaded:
            self._folder_reads.run(service.folders, self._show_folders)
            return
        # The first read: the inbox's first rows are read with the folders, so the
        # folders and the list are painted in one frame (issue 19: the start's first
        # painted list; a second worker and frame cost ~15 ms of CPU). Read as the app
        # started (first_read) when that is done, else in a worker.
        wanted = (self.sort, self.reverse)

        def show_first(result: tuple[list, tuple | None]) -> None:
            folders, self._first_rows = result
            self._show_folders(folders)

        read = partial(_read_first, service, *wanted)
        early, self._first_read = self._first_read, None
        if early is not None and early[0] == wanted:
            done = early[1].take(wait=self.FIRST_READ_WAIT)  # the GIL is its meanwhile
            if done is not None:
                show_first(done[0])
                return
            read = partial(early[1].wait_or, read)
        self._folder_reads.run(read, show_first)

    def _show_folders(self, folders: list) -> None:
        main = self.main
        if main is None:
            return
        self._folder_infos = folders
        inbox = inbox_of(folders, self.account or None)
        first = _first_inbox(self.service, folders)
        if not self.account and inbox is not None:
            inbox = first or inbox
            self.open_folder(inbox.account, inbox.name, watch=False)
            # Another account's inbox while the first account's folders are not listed
            # yet (its first sync is still running): shown only until they are.
            self._standing_in = None if first else (inbox.account, inbox.name)
        elif first is not None and self._standing_in_untouched(main):
            self._standing_in = None
            self.open_folder(first.account, first.name)
        elif self._open_folder_gone(folders):  # renamed or deleted by another client
            gone = self.folder
            if inbox is not None:
                self.open_folder(inbox.account, inbox.name)
            notify(
                self, f"The folder {folder_words(gone)} is no longer on the server.",
                severity="warning",
            )  # fmt: skip
        main.query_one(FolderTree).set_folders(folders, (self.account, self.folder))
        if main.titled is not None:  # the folder the list shows (its rows come with its title)
            main.set_title(*main.titled)
        self.update_status()

    _standing_in: tuple[str, str] | None = None  # (account, folder) opened for the first

    def _standing_in_untouched(self, main: MainScreen) -> bool:
        """The inbox opened in place of the first account's is still shown as it was
        opened: the user chose no folder, moved no cursor, opened nothing."""
        if self._standing_in is None:
            return False
        if self._standing_in != (self.account, self.folder) or self.screen is not main:
            self._standing_in = None
            return False
        lst = main.query_one(MessageList)
        if lst.cursor != 0 or main.reading or main.choosing_folder or lst.tagged_rows():
            self._standing_in = None
            return False
        return True

    def _follow_rename(self, account: str, old: str, new: str) -> None:
        """The open folder was renamed on the server by another client: show it under its
        new name (instead of the inbox a deleted folder gives way to) and say so."""
        if (account, old) != (self.account, self.folder):
            return
        self.open_folder(account, new)
        said = f"The folder {folder_words(old)} was renamed to {folder_words(new)} on the server."
        notify(self, said, severity="warning")

    def _open_folder_gone(self, folders: list) -> bool:
        """The open folder of a real account is missing from that account's listed
        folders (the account has some: its folders were read)."""
        if not self.account or self.account == UNIFIED or self.folder == SEARCH:
            return False
        mine = {f.name for f in folders if f.account == self.account}
        return bool(mine) and self.folder not in mine

    def open_folder(
        self, account: str, folder: str, watch: bool = True, at: tuple[int, int] | None = None
    ) -> None:
        """Show a folder. Its rows are read in a worker; the title and the rows change
        together when they are ready (until then the previous folder stays as it was),
        and a later choice wins over an earlier one still loading. `at` (row index,
        message id): the cursor goes to that message (looked for near that row), else
        to that row; without it, to the top."""
        self.account, self.folder = account, folder
        self.reload_list(keep_cursor=False, at=at)
        service = self.service
        if watch and service is not None and account != UNIFIED:
            self.work(lambda: service.watch_folder(account, folder), "watch")

    def reload_list(
        self,
        keep_cursor: bool = True,
        now: bool = False,
        gone: Sequence[int] = (),
        at: tuple[int, int] | None = None,
    ) -> None:
        """Re-read the list (the store changed, or another folder/sort was chosen): read
        in a worker, shown on the loop when ready (issue 19: no store read on the loop).
        `now`: the user's own action changed the store and the next key must act on the
        list as it is after it, so the list is re-read here, on the loop (a page of rows:
        a few ms at 100,000 messages; a sort without index keeps its order, less the
        messages `gone`, instead of sorting again)."""
        main = self.main
        service = self.service
        if main is None or service is None or not self.account:
            return
        lst = main.query_one(MessageList)
        account, folder = self.account, self.folder
        around = lst.cursor if keep_cursor else (at[0] if at else 0)
        if folder == SEARCH:
            source = lst.source

            def read_search():
                refresh = getattr(source, "refresh", None)  # re-read flags, drop moved ones
                if refresh is not None:
                    try:
                        refresh()
                    except Exception:  # the store is busy: keep what is shown
                        pass
                return load(source, around)

            def show_search(loaded) -> None:
                if self.main is not None and lst.source is source:
                    lst.show(loaded, keep_cursor)
                    self._title_search(source)

            if now:
                self._list_reads.cancel()
                show_search(read_search())
                return
            self._list_reads.run(read_search, show_search)
            return
        if self.threaded:
            self._list_reads.cancel()  # a flat list still loading is not shown
            self._reload_threads(lst, keep_cursor, follow=at[1] if at else None)
            return
        sort, reverse, context = self.sort, self.reverse, self.list_context()
        where = at  # the cursor's place once shown (the read below may find it elsewhere)

        def show(loaded) -> None:
            main = self.main
            if main is None or (self.account, self.folder) != (account, folder):
                return
            lst.show(loaded, keep_cursor=keep_cursor, context=context)
            if where is not None:
                _place_cursor(lst, *where)
            self._shown_list = (account, folder, sort, reverse)
            main.set_title(account, folder)
            self._freeze_start_objects()
            if self._after_paint_waits:  # the first rows are shown: the rest after their paint
                self.call_after_refresh(self._after_first_paint)

        if now:
            self._list_reads.cancel()  # a read begun before the change is not shown
            shown = lst.source
            same = self._shown_list == (account, folder, sort, reverse)
            if same and isinstance(shown, StoreSource) and shown.sort != "date":
                shown = shown.without(gone)  # the same order, without a sort of the folder
            else:
                shown = service.source(account, folder, sort, reverse=reverse)
            show(load(shown, around))
            return

        first, self._first_rows = self._first_rows, None
        if first is not None and first[:4] == (account, folder, sort, reverse) and not around:
            self._list_reads.cancel()
            show(first[4])  # read with the folders, at start
            return

        def read():
            source = service.source(account, folder, sort, reverse=reverse)
            if at is None:
                return load(source, around)
            # Another order of the same folder: the message is looked for where it is now
            # (a read of the folder's order: here, off the loop), and read around it.
            row_of = getattr(source, "row_of", None)
            found = row_of(at[1]) if row_of is not None else None
            if found is not None:
                nonlocal where
                where = (found, at[1])
            return load(source, where[0] if where else around)

        self._list_reads.run(read, show)

    def _freeze_start_objects(self) -> None:
        """Once the first list is shown: what start-up made (modules, widgets, styles: most
        of the objects the app will ever hold) leaves the cyclic garbage collector's
        care, so its full passes no longer stall the loop for tens of milliseconds at
        100,000 messages (issue 19). Those objects are still freed by reference counting."""
        global _START_FROZEN
        if not _START_FROZEN:  # once a process (tests run many apps in one)
            _START_FROZEN = True
            if not start_gc.paused():  # else start_gc.resume() freezes
                gc.freeze()
        if not self._idle_gc_timer:
            self._idle_gc.start()  # full collections while the user is idle
            self._idle_gc_timer = True
            self.set_interval(EVERY, self._collect_when_idle, name="idle-gc")

    def _collect_when_idle(self) -> None:
        """A full garbage collection once the user is idle and waits for nothing (a
        worker's result arriving meanwhile would wait for the pass); the first time, the
        other screens' rules are read instead (_read_other_css)."""
        if any(worker.is_running for worker in self.workers):
            return
        if not self._other_css_read and self._idle_gc.user_idle():
            self._other_css_read = True
            self._read_other_css()
            return
        self._idle_gc.tick()

    def _read_other_css(self) -> None:
        """The rules of the screens not shown at start (screens/*.tcss, each also a
        screen's CSS_PATH), parsed while the user is idle after the first paint: not for
        the first painted list (~10 ms), and not by the first dialog, which would wait
        for them and for Textual's restyle of every widget (~30 ms). As Textual reads a
        screen's CSS_PATH; a file it already read is not read again."""
        sheet = self.stylesheet
        added = False
        for name in other_css():
            path = str((SCREENS_DIR / name).resolve())
            if not sheet.has_source(path, ""):
                sheet.read(path)
                added = True
        if added:
            sheet.reparse()
            sheet.update(self)

    def _reload_threads(
        self, lst: MessageList, keep_cursor: bool, follow: int | None = None
    ) -> None:
        """The thread tree of the open folder: brought up to date when it is already shown
        (only the threads that messages which came or went reach are threaded again: in
        place when small, else in a worker), else built in a worker (a 100k folder takes
        about a second) and shown when ready, unless the user moved on."""
        service = self.service
        assert service is not None
        source = lst.source
        wanted = (self.account, self.folder, self.reverse)
        if _is_threads(source) and source.shown_for == wanted:
            if source.count() <= INLINE_THREADS and not source.rebuilding:
                try:
                    source.refresh()  # a small folder: at once (the threads reached only)
                except Exception:  # the store is busy: keep what is shown
                    pass
                lst.reload(keep_cursor)
                return
            if source.rebuilding or not keep_cursor:
                lst.reload(keep_cursor)  # flags are read with each page: they show at once
            if source.rebuilding:  # a successor is being built: it is looked at again then
                source.again = True
                return
            # A big folder: whether messages came or went (a count over the folder), the
            # successor and the rows around the cursor are read in a worker and shown
            # together when ready: one repaint, nothing read on the loop (flags that
            # changed alone show then too; the list stays usable meanwhile).
            source.rebuilding, source.again = True, False
            around = lst.cursor

            def update() -> tuple[ThreadSource | None, Loaded]:
                try:
                    fresh = _tree_frozen(source.successor)
                    return fresh, load(fresh if fresh is not None else source, around)
                except BaseException:
                    source.rebuilding = False
                    raise

            def swap(result: tuple[ThreadSource | None, Loaded]) -> None:
                fresh, loaded = result
                source.rebuilding = False
                if lst.source is not source:
                    return
                if fresh is not None and fresh.follow(source):
                    lst.set_source(fresh, keep_cursor=True)  # a thread collapsed meanwhile
                else:
                    lst.show(loaded, keep_cursor=True)
                if source.again:  # more changed while it was built
                    self._reload_threads(lst, keep_cursor=True)

            self.work(update, "threads", swap)
            return
        account, folder, reverse = wanted
        context = self.list_context()

        def build():
            return _tree_frozen(
                lambda: service.source(account, folder, threaded=True, reverse=reverse)
            )

        def done(built) -> None:
            main = self.main
            if (
                main is None
                or not self.threaded
                or (self.account, self.folder, self.reverse) != wanted
            ):
                return
            if _is_threads(built):
                built.shown_for = wanted
            shown = main.query_one(MessageList)
            shown.set_source(built, keep_cursor=False, context=context)
            row = built.row_of(follow) if follow is not None and _is_threads(built) else None
            if row is not None:
                shown.cursor = row  # the message the cursor was on, in its thread
            main.set_title(account, folder)

        self.work(build, "threads", done)

    def _known_folders(self) -> list:
        """The folders as the last read showed them (every change re-reads them in a
        worker): no store read on the loop. Read here only before the first one."""
        if self._folder_infos is not None:
            return self._folder_infos
        return self.service.folders() if self.service is not None else []

    def _folder_names(self, account: str) -> list[str]:
        return [f.name for f in self._known_folders() if f.account == account]

    def list_context(self) -> str:
        """What the list's columns show: the account in the unified inbox, the folder in
        search results (account/folder when there are several accounts), the recipients in Sent (and Drafts) instead of yourself."""
        if self.folder == SEARCH:
            # the search covers every account: with several, each row names its own
            several = self.service is not None and len(self.service.accounts) > 1
            return "search-all" if several else "search"
        if self.account == UNIFIED:
            return "unified"
        if self.service is not None:
            # The folders as last read (refresh_folders runs on every change to them):
            # not a store query per list reload.
            infos = self._folder_infos if self._folder_infos is not None else self.service.folders()
            for info in infos:
                if (info.account, info.name) == (self.account, self.folder):
                    return "sent" if info.special_use in ("sent", "drafts") else "folder"
        return "folder"

    def cycle_sort(self) -> None:
        if self.threaded:
            notify(self, "Threads are sorted by their latest message (t: threads off).")
            return
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        notify(self, f"Sorted by {self.sort}{self._order_note()}", timeout=2)
        self._reorder()

    def _order_note(self) -> str:
        if not self.reverse:
            return ""
        return {"date": " (oldest first)", "size": " (smallest first)"}.get(
            self.sort, " (reversed)"
        )

    def reverse_sort(self) -> None:
        self.reverse = not self.reverse
        if self.threaded:
            notify(
                self, "Oldest threads first" if self.reverse else "Newest threads first", timeout=2
            )
        else:
            notify(
                self, f"Sorted by {self.sort}{self._order_note() or ' (usual order)'}", timeout=2
            )
        self._reorder()

    def toggle_threads(self) -> None:
        if self.folder == SEARCH:
            self.notify("Threads are shown in folders and the unified inbox.")
            return
        self.threaded = not self.threaded
        self.notify("Threads on" if self.threaded else "Threads off", timeout=2)
        self._reorder()

    def _reorder(self) -> None:
        """The open list in another order (sort, reverse, threads): the cursor stays on
        the message it was on, wherever that now is (as in mutt), not on the first row,
        so the next key acts on the message the user was looking at."""
        lst = self.main.query_one(MessageList) if self.main is not None else None
        row = lst.current if lst is not None else None
        at = (lst.cursor, row.id) if lst is not None and row is not None and row.id >= 0 else None
        self.reload_list(keep_cursor=False, at=at)

    def toggle_thread_collapse(self, every: bool) -> None:
        """Collapse or open the thread under the cursor (`every`: all threads)."""
        main = self.main
        if main is None:
            return
        lst = main.query_one(MessageList)
        source = lst.source
        if not _is_threads(source):
            self.notify("Threads are off: t shows them.")
            return
        row = lst.current
        key = row.thread_key if row is not None else ""
        if every:
            source.toggle_all()
        elif key:
            source.toggle(key)
        else:
            return
        lst.reload(keep_cursor=False)
        if key:
            lst.cursor = source.index_of(key)  # on the thread's first row

    # -- reading ----------------------------------------------------------------------

    def load_message(self, row: MessageRow, preview: bool, by_user: bool = True) -> None:
        """Show `row`. Opened, it is marked read at once; previewed, only after the
        preview stayed on screen for [ui] mark_read_delay seconds, and never when the
        preview came from opening a folder or a search (`by_user` false)."""
        self._reading = row
        service = self.service
        assert service is not None
        delay = self.ui.mark_read_delay
        mark_after = delay if preview and by_user and delay >= 0 else None

        def done(view) -> None:
            main = self.main
            if main is not None and self._reading is row:
                main.show_view(row, view, mark_after)

        def failed(exc: Exception) -> None:
            # The message read before must not stay on screen as if it were this one.
            main = self.main
            if main is not None and self._reading is row:
                note = f"This message could not be shown: {describe(exc)}"
                main.query_one(ReaderPane).show_note(note)

        def fetch():
            try:
                return service.read(row, mark_seen=not preview)
            except Exception as exc:
                self.hop(failed, exc)
                raise  # told in the status bar as every failed job

        self.work(fetch, "read", done)

    def shows(self, row: MessageRow) -> bool:
        """Whether the reader's message (the last one loaded) is `row`."""
        return self._reading is not None and self._reading.id == row.id

    def shown_row(self) -> MessageRow | None:
        """The reader's message as the store has it now, while it is where it was read;
        None once it left (deleted, archived, moved; here or by another mail program)."""
        row, service = self._reading, self.service
        if row is None or service is None:
            return None
        try:
            now = service.reread([row])
        except Exception:  # the store is busy: take it as it was read
            return row
        if not now or (now[0].account, now[0].folder) != (row.account, row.folder):
            return None
        return now[0]

    def shown_left(self) -> bool:
        """The reader's message is no longer where it was read. False while it is still
        there, e.g. pushed far down the list by a burst of new mail."""
        return self._reading is not None and self.shown_row() is None

    def mark_previewed_read(self, row: MessageRow) -> None:
        """The preview of `row` stayed long enough: mark it read (if still shown)."""
        service = self.service
        if service is None or self._reading is not row or row.seen:
            return
        self.work(lambda: service.set_seen([row], True), "mark-read", lambda _r: self.reload_list())

    def show_raw(self, row: MessageRow) -> None:
        service = self.service
        assert service is not None

        def done(text: str) -> None:
            if self.main is not None:
                self.main.query_one(ReaderPane).show_raw(text)

        self.work(lambda: service.raw_source(row), "raw", done)

    def show_report(self, row: MessageRow) -> None:
        """The delivery report of `row` on its own screen (c there: own DKIM check)."""
        service = self.service
        assert service is not None
        nameserver = self.doctor_options.get("nameserver")

        def check():
            return service.delivery_report(row, check_dkim=True, nameserver=nameserver)

        def done(report) -> None:
            from tuimail.ui.screens.report import ReportScreen

            self.push_screen(ReportScreen(report, check))

        self.work(lambda: service.delivery_report(row), "report", done)

    def ask_save_attachments(self, rows: list[MessageRow]) -> None:
        from tuimail.ui.screens.dialogs import InputDialog

        if not rows or self.service is None:
            return
        service = self.service
        row = rows[0]
        default = str(Path.home() / "Downloads")

        def chosen(directory: str | None) -> None:
            if not directory:
                return

            def save() -> list[Path]:
                view = service.read(row)
                return [service.save_attachment(row, a.index, directory) for a in view.attachments]

            def done(paths: list[Path]) -> None:
                if not paths:
                    self.notify("This message has no attachments.")
                for path in paths:
                    notify(self, f"Saved {path}")

            self.work(save, "save", done)

        self.push_screen(InputDialog("Save attachments to directory:", default), chosen)

    def ask_open_attachment(self, rows: list[MessageRow]) -> None:
        from tuimail.ui.screens.dialogs import InputDialog
        from tuimail.words.attachments import opened as opened_words

        if not rows or self.service is None:
            return
        service, row = self.service, rows[0]

        def listed(view) -> None:
            attachments = view.attachments
            if not attachments:
                self.notify("This message has no attachments.")
                return

            def open_number(number: int) -> None:
                index = attachments[number - 1].index
                self.work(
                    lambda: service.open_attachment(row, index),
                    "open",
                    lambda result: notify(self, opened_words(result), timeout=8),
                )

            if len(attachments) == 1:
                open_number(1)
                return

            def chosen(answer: str | None) -> None:
                if answer and answer.strip().isdigit() and 1 <= int(answer) <= len(attachments):
                    open_number(int(answer))
                elif answer:
                    notify(self, f"Enter a number from 1 to {len(attachments)}.")

            self.push_screen(
                InputDialog(f"Open which attachment (1-{len(attachments)})?", "1"), chosen
            )

        self.work(lambda: service.read(row), "read", listed)

    # -- actions on messages ----------------------------------------------------------

    def message_action(self, action: str, rows: list[MessageRow]) -> None:
        """An action typed on `rows`: the local store changes now (the list shows it at
        once, the cursor is on the next message), the server is told in the order the
        keys were typed (one queue), so a fast `s a s` flags, archives, then flags the
        message the cursor moved to."""
        from tuimail.ui.screens.dialogs import ConfirmDialog
        from tuimail.words.actions import undone

        service = self.service
        if service is None:
            return
        if action == "undo":
            self.queue_action(lambda: undone(service.undo()), "undo")
            return
        if action == "mark_all_read":
            self.ask_mark_all_read()
            return
        if not rows:
            self.notify("No message selected.")
            return
        if len(rows) > 1 or (self.main is not None and self.main.query_one(MessageList).tagged):
            try:
                rows = service.reread(rows)  # tags may be old: flags and folders as now
            except Exception as exc:
                self.show_error(describe(exc))
                return
            if not rows:
                self.notify("The tagged messages are gone.")
                return
        if action == "delete" and service.deletes_for_ever(rows):
            noun = "this message" if len(rows) == 1 else f"these {len(rows)} messages"

            def answer(yes: bool | None) -> None:
                if yes:
                    self._begin("delete", rows, "Deleted for ever.")

            self.push_screen(
                ConfirmDialog(f"Delete {noun} for ever? This cannot be undone."), answer
            )
            return
        several = len(rows) > 1
        count = f" {len(rows)} messages" if several else ""
        if action == "delete":
            self._begin("delete", rows, f"Deleted{count} (u to undo)")
        elif action == "archive":
            self._begin("archive", rows, f"Archived{count} (u to undo)")
        elif action == "flag":  # a batch: flagged unless every one already is
            on = not all(r.flagged for r in rows)
            self._begin(
                "flag" if on else "unflag",
                rows,
                f"{'Flagged' if on else 'Unflagged'}{count} (u to undo)" if several else "",
            )
        elif action == "toggle_read":  # a batch: read unless every one already is
            on = not all(r.seen for r in rows)
            self._begin(
                "read" if on else "unread",
                rows,
                f"Marked{count} {'read' if on else 'unread'} (u to undo)" if several else "",
            )

    def _begin(self, action: str, rows: list[MessageRow], note: str) -> None:
        service = self.service
        assert service is not None
        try:
            remote = service.begin(action, rows)
        except Exception as exc:
            self.show_error(describe(exc))
            return
        if self.main is not None:
            self.main.done_with_tags()
        # The list as it is now, before the next key: a burst like "s a s" acts on the
        # message the cursor moved to (read on the loop: a few ms at 100,000 messages).
        gone = [r.id for r in rows] if action in ("delete", "archive") else []
        self.reload_list(now=True, gone=gone)
        self.refresh_folders()

        def job() -> str:
            remote()
            return note

        self.queue_action(job, action)

    def ask_mark_all_read(self) -> None:
        from tuimail.ui.screens.dialogs import ConfirmDialog

        service = self.service
        if service is None:
            return
        if not self.account or self.account == UNIFIED or self.folder == SEARCH:
            self.notify("Open a folder of an account first.")
            return
        account, folder = self.account, self.folder
        try:
            unread = service.unread_count(account, folder)
        except Exception as exc:
            self.show_error(describe(exc))
            return
        if not unread:
            self.notify("Every message here is read already.")
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.queue_action(
                    lambda: (
                        f"Marked {service.mark_all_read(account, folder)} message(s) read "
                        "(u to undo)"
                    ),
                    "mark_all_read",
                )

        self.push_screen(
            ConfirmDialog(f"Mark all {unread} unread message(s) in {sanitize(folder)} read?"),
            answer,
        )

    def queue_action(self, fn: Callable[[], str | None], name: str) -> None:
        """Run `fn` after every action queued before it (one at a time, in order); its
        note is shown and the list re-read when it is done."""
        self._action_queue.append((fn, name))
        if not self._action_running:
            self._next_action()

    def _next_action(self) -> None:
        if not self._action_queue or self._quitting:
            self._action_running = False
            return
        self._action_running = True
        fn, name = self._action_queue.popleft()
        errors_before = self._errors_said

        def finished(note: str | None, error: BaseException | None) -> None:
            try:
                if error is not None:
                    self.show_error(describe(error), diagnose=_connection_error(error))
                else:
                    if self.last_error and self._errors_said == errors_before:
                        # It worked: an old error is over (not one said while it ran:
                        # the server refused a move done here, say).
                        self.last_error = ""
                        self.update_status()
                    if note:
                        notify(self, note, timeout=4)
                self.reload_list()
            finally:
                self._next_action()

        def runner() -> None:
            try:
                note = fn()
            except Exception as exc:
                self.hop(finished, None, exc)
            else:
                self.hop(finished, note, None)

        self.run_worker(runner, thread=True, exit_on_error=False, name=f"action-{name}")

    def ask_move(self, rows: list[MessageRow], copy: bool) -> None:
        from tuimail.ui.screens.dialogs import FolderPicker

        if not rows or self.service is None:
            self.notify("No message selected.")
            return
        service = self.service
        if len({r.account for r in rows}) > 1:
            self.notify(
                "The tagged messages are in several accounts: move them one account at a time."
            )
            return
        folders = {r.folder for r in rows}
        names = [n for n in self._folder_names(rows[0].account) if {n} != folders]

        def chosen(target: str | None) -> None:
            if target:
                verb = "Copied" if copy else "Moved"
                count = f"{len(rows)} messages " if len(rows) > 1 else ""
                if self.main is not None:
                    self.main.done_with_tags()
                self.work(
                    lambda: service.move(rows, target, copy=copy),
                    "move",
                    lambda _r: notify(
                        self, f"{verb} {count}to {target}" + ("" if copy else " (u to undo)")
                    ),
                )

        title = "Copy to folder:" if copy else "Move to folder:"
        if len(service.accounts) > 1:  # which account's folders these are
            title = f"{'Copy' if copy else 'Move'} to a folder of {sanitize(rows[0].account)}:"
        self.push_screen(FolderPicker(title, names), chosen)

    # -- attachments ------------------------------------------------------------------

    def ask_attachments(self, rows: list[MessageRow]) -> None:
        """x: the attachment list of the message under the cursor."""
        service = self.service
        if service is None or not rows:
            self.notify("No message selected.")
            return
        row = rows[0]

        def listed(found) -> None:
            view, html = found
            if not view.attachments and html is None:
                self.notify("This message has no attachments.")
                return
            from tuimail.ui.screens.attachments import AttachmentList

            self.push_screen(
                AttachmentList(
                    view.attachments,
                    has_html=html is not None,
                    act=lambda what, index: self._attachment_chosen(row, view, html, (what, index)),
                ),
                lambda choice: self._attachment_chosen(row, view, html, choice),
            )

        self.work(
            lambda: (service.read(row, mark_seen=False), service.html_as_text(row)),
            "read",
            listed,
        )

    def _attachment_chosen(self, row: MessageRow, view, html, choice) -> None:
        from tuimail.ui.screens.attachments import HTML
        from tuimail.words.attachments import opened as opened_words

        service, main = self.service, self.main
        if choice is None or service is None or main is None:
            return
        what, index = choice
        if index == HTML:
            self._show_text(f"{view.subject} — the HTML version, as text", html or "")
            return
        name = next((a.filename for a in view.attachments if a.index == index), "")
        if what == "save":
            directory = str(Path.home() / "Downloads")
            self.work(
                lambda: service.save_attachment(row, index, directory),
                "save",
                lambda path: notify(self, f"Saved {path}"),
            )
        elif what == "open":
            self.work(
                lambda: service.open_attachment(row, index),
                "open",
                lambda result: notify(self, opened_words(result), timeout=8),
            )
        else:
            self.work(
                lambda: service.view_attachment(row, index),
                "view",
                lambda plan: self._viewed(name, plan),
            )

    def _show_text(self, title: str, text: str) -> None:
        main = self.main
        if main is None:
            return
        main.show_attachment_text(f"── {sanitize(title)} (q: back) ──\n\n{text}")

    def _viewed(self, name: str, plan) -> None:
        from tuimail.words.actions import not_viewed

        shown = sanitize(name or "the attachment")
        if plan.kind in ("text", "pager"):
            self._show_text(shown, plan.text)
        elif plan.kind == "terminal":
            try:
                with handed_over(self):
                    subprocess.call(["sh", "-c", plan.command])
            except SuspendNotSupported:
                notify(self, f"{shown} needs a terminal; it was saved to {plan.path}.")
                return
            self.refresh(layout=True)
        elif plan.kind == "viewer":
            subprocess.Popen(
                ["sh", "-c", plan.command],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            notify(self, f"Opened {shown}.")
        else:
            notify(self, not_viewed(name, plan), timeout=8)

    # -- links ------------------------------------------------------------------------

    def ask_links(self, rows: list[MessageRow]) -> None:
        """l: the URL picker for the message shown (or under the cursor)."""
        main, service = self.main, self.service
        if main is None or service is None or not rows:
            self.notify("No message selected.")
            return
        row = rows[0]
        reader = main.query_one(ReaderPane)
        if self.shows(row) and reader.message_view is not None:
            self._pick_link(reader.message_view.links)
            return
        self.work(
            lambda: service.read(row, mark_seen=False),
            "read",
            lambda view: self._pick_link(view.links),
        )

    def _pick_link(self, links: list[str]) -> None:
        if not links:
            self.notify("This message has no links.")
            return
        from tuimail.core.links import remote_session
        from tuimail.ui.screens.links import LinkPicker

        self.push_screen(LinkPicker(links, remote=remote_session()), self._link_chosen)

    def _link_chosen(self, choice: tuple[str, str] | None) -> None:
        from tuimail.core.links import is_mailto, open_link
        from tuimail.words.actions import link_opened

        if choice is None:
            return
        what, link = choice
        if what == "copy":
            self.copy_to_clipboard(link)  # OSC 52: the terminal's clipboard, over SSH too
            notify(self, "Link copied to the clipboard (if the terminal allows OSC 52).")
        elif is_mailto(link):
            from tuimail.core.mailto import MailtoError, parse_mailto
            from tuimail.words.compose import mailto_words

            try:
                self.compose_from(parse_mailto(link))
            except MailtoError as exc:
                said = mailto_words(exc)
                notify(self, f"That mailto: link cannot be used: {said}", severity="warning")
        else:
            self.work(
                lambda: open_link(link), "open-link", lambda done: notify(self, link_opened(done))
            )

    # -- tags -------------------------------------------------------------------------

    def in_view(self, rows: list[MessageRow]) -> list[MessageRow]:
        """The rows among `rows` that the list shows now (this folder, the unified inbox's
        inboxes, or these search results)."""
        service = self.service
        if service is None:
            return []
        if self.folder == SEARCH:
            main = self.main
            source = main.query_one(MessageList).source if main is not None else None
            shown = {r.id for r in source.rows(0, source.count())} if source is not None else set()
            return [r for r in rows if r.id in shown]
        if self.account == UNIFIED:
            inboxes = {(a, service.special_folder(a, "inbox")) for a in service.accounts}
            return [r for r in rows if (r.account, r.folder) in inboxes]
        return [r for r in rows if (r.account, r.folder) == (self.account, self.folder)]

    def _tag(self, rows: list[MessageRow], what: str) -> None:
        main = self.main
        if main is None:
            return
        lst = main.query_one(MessageList)
        rows = self.in_view(rows)
        if not rows:
            notify(self, f"No message here {what}.")
            return
        on = not all(r.id in lst.tagged for r in rows)  # all tagged already: untag them
        lst.set_tagged(rows, on)
        noun = "message" if len(rows) == 1 else "messages"
        notify(self, f"{'Tagged' if on else 'Untagged'} {len(rows)} {noun} {what}.", timeout=3)

    def ask_tag_pattern(self) -> None:
        """T: tag every message of the list that a search finds (sender, subject, text)."""
        from tuimail.ui.screens.dialogs import InputDialog

        service = self.service
        if service is None or not self.account:
            return

        def chosen(query: str | None) -> None:
            if not query:
                return
            account = self.account if self.account != UNIFIED else None
            folder = self.folder if self.folder not in (SEARCH,) else None

            def found(source) -> None:
                self._tag(list(source.rows(0, source.count())), f"matching {query}")

            self.work(lambda: service.search(query, account, folder), "search", found)

        self.push_screen(InputDialog("Tag messages matching (sender, subject, text):"), chosen)

    def tag_thread(self, rows: list[MessageRow]) -> None:
        """ctrl+t: tag (or untag) every message of the conversation under the cursor."""
        main, service = self.main, self.service
        if not rows or main is None or service is None:
            return
        lst = main.query_one(MessageList)
        source = lst.source
        members = getattr(source, "thread_members", None)
        if members is not None:  # the thread tree knows its members, placeholders aside
            self._tag(members(rows[0].id), "in this thread")
            return
        self.work(
            lambda: service.thread_rows(rows[0]) or rows,
            "thread",
            lambda found: self._tag(found, "in this thread"),
        )

    # -- messages out: pipe, save as .eml, shell ------------------------------------------

    def ask_pipe(self, rows: list[MessageRow]) -> None:
        """|: the message (or the tagged ones, as an mbox) on a command's stdin."""
        from tuimail.core.message_files import pipe_input
        from tuimail.ui.screens.dialogs import InputDialog

        service = self.service
        if not rows or service is None:
            self.notify("No message selected.")
            return
        noun = "this message" if len(rows) == 1 else f"these {len(rows)} messages"

        def chosen(command: str | None) -> None:
            if not command or not command.strip():
                return
            if self.main is not None:
                self.main.done_with_tags()

            def fetched(raws: list[bytes]) -> None:
                self.run_piped(command, pipe_input(raws))

            self.work(lambda: service.raws(rows), "pipe", fetched)

        self.push_screen(InputDialog(f"Pipe {noun} to command:"), chosen)

    def run_piped(self, command: str, data: bytes) -> None:
        """In a real terminal the app steps aside (the command may be `less` or ask
        questions) and waits for Enter; elsewhere the output is captured and shown."""
        from tuimail.core.message_files import run_pipe
        from tuimail.words.actions import pipe_finished

        try:
            with handed_over(self):
                result = run_pipe(command, data, capture=False)
                _wait_for_enter(f"[exit status {result.status}] Press Enter to return to tuimail.")
            self.refresh(layout=True)
            shown = pipe_finished(result)
        except SuspendNotSupported:
            self.work(
                lambda: run_pipe(command, data),
                "pipe-run",
                lambda result: self._piped(result),
            )
            return
        notify(self, shown, severity="information" if result.status == 0 else "warning")

    def _piped(self, result: PipeResult) -> None:
        from tuimail.words.actions import pipe_finished

        text = pipe_finished(result)
        notify(self, text, severity="information" if result.status == 0 else "warning", timeout=8)

    def ask_save_messages(self, rows: list[MessageRow]) -> None:
        """w: save the message (or the tagged ones) as .eml files."""
        from tuimail.ui.screens.dialogs import InputDialog

        service = self.service
        if not rows or service is None:
            self.notify("No message selected.")
            return
        downloads = Path.home() / "Downloads"
        if len(rows) == 1:
            from tuimail.core.message_files import eml_name

            prompt, default = (
                "Save the message as:",
                str(downloads / eml_name(sanitize(rows[0].subject))),
            )
        else:
            prompt, default = (
                f"Save these {len(rows)} messages (.eml) in directory:",
                str(downloads),
            )

        def chosen(target: str | None) -> None:
            if not target:
                return
            if self.main is not None:
                self.main.done_with_tags()

            def done(paths: list[Path]) -> None:
                shown = (
                    str(paths[0]) if len(paths) == 1 else f"{len(paths)} files in {paths[0].parent}"
                )
                notify(self, f"Saved {shown}")

            self.work(lambda: service.save_eml(rows, target), "save", done)

        self.push_screen(InputDialog(prompt, default), chosen)

    def ask_shell(self) -> None:
        """!: a command (or, empty, an interactive shell) with the app suspended."""
        from tuimail.ui.screens.dialogs import InputDialog

        def chosen(command: str | None) -> None:
            if command is None:
                return
            shell = os.environ.get("SHELL") or "/bin/sh"
            argv = ["sh", "-c", command] if command.strip() else [shell]
            try:
                with handed_over(self):
                    try:
                        status = subprocess.call(argv)
                    except OSError as exc:
                        print(f"tuimail: cannot run the shell: {exc.strerror}")
                        status = -1
                    if command.strip():
                        _wait_for_enter(f"[exit status {status}] Press Enter to return to tuimail.")
            except SuspendNotSupported:
                self.notify("This terminal cannot hand over to a shell here.", severity="warning")
                return
            self.refresh(layout=True)

        self.push_screen(InputDialog("Shell command (empty: an interactive shell):"), chosen)

    def ask_search(self) -> None:
        from tuimail.ui.screens.dialogs import InputDialog

        service = self.service
        if service is None:
            return

        def chosen(query: str | None) -> None:
            if not query:
                return

            def done(source) -> None:
                if self.folder != SEARCH:
                    self.before_search = (self.account, self.folder)
                    self._cursor_before_search = None
                    if self.main is not None and not self.threaded:
                        lst = self.main.query_one(MessageList)
                        row = lst.current
                        if row is not None:
                            self._cursor_before_search = (lst.cursor, row.id)
                self.account, self.folder = self.account or UNIFIED, SEARCH
                if self.main is not None:
                    self._list_reads.cancel()  # a folder still loading is not shown
                    lst = self.main.query_one(MessageList)
                    lst.set_source(source, context=self.list_context())
                    self.search_query = sanitize(query)
                    self._title_search(source)

            account = self.account if self.account != UNIFIED else None
            folder = self.folder if self.folder != SEARCH else None
            self.work(lambda: service.search(query, account, folder), "search", done)

        main = self.main
        if main is not None and self.screen is main:  # the bottom line, as mutt asks
            main.ask_line("Search (words; from: to: subject: body: limit one):", chosen)
        else:
            self.push_screen(
                InputDialog("Search (words; from: to: subject: body: limit one):"), chosen
            )

    def _title_search(self, source) -> None:
        """The search's title with the number of results shown now (a result deleted or
        put back by undo changes it)."""
        title = f"Search: {self.search_query} ({source.count()})"
        if title != self.search_title and self.main is not None:
            self.search_title = title
            self.main.set_title(self.account, self.folder)

    def leave_search(self) -> None:
        """Esc/q in search results: back to the folder the search started from, the
        cursor on the message it was on (as mutt's limit leaves it), not the top."""
        account, folder = self.before_search or ("", "")
        at, self._cursor_before_search = self._cursor_before_search, None
        self.before_search = None
        self.search_title = ""
        if not account or not folder:
            infos = self._folder_infos or []
            inbox = _first_inbox(self.service, infos) or inbox_of(infos)
            if inbox is None:
                return
            account, folder, at = inbox.account, inbox.name, None
        self.open_folder(account, folder, at=at)

    def pending_on_quit(self) -> str:
        """Why quitting now deserves a question ("" when nothing is waiting)."""
        service = self.service
        if service is None:
            return ""
        waiting = max(len(service.outbox), service.outbox_waiting)
        if not waiting:
            return ""
        # Refused for good or "may have been sent": never sent by themselves, so not
        # promised to be sent next time (a message to a mistyped address said so).
        held = min(service.outbox_held_count, waiting)  # kept by the service: no disk read
        later = waiting - held
        said = []
        if later:
            noun = "message waits" if later == 1 else "messages wait"
            said.append(f"{later} {noun} in the outbox (sent the next time tuimail runs).")
        if held:
            noun = "message" if held == 1 else "messages"
            was, waits = ("was", "waits") if held == 1 else ("were", "wait")
            said.append(
                f"{held} {noun} in the outbox {was} not sent and {waits} for you "
                "(the outbox view says why)."
            )
        return " ".join(said)

    def ask_quit(self) -> None:
        """Quit from the top level; asks first only when something is pending."""
        from tuimail.ui.screens.dialogs import ConfirmDialog

        pending = self.pending_on_quit()
        if not pending:
            self._quitting = True
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._quitting = True
                self.exit()

        self.push_screen(ConfirmDialog(f"{pending} Quit anyway?"), answered)

    def ask_folder(self, what: str) -> None:
        from tuimail.ui.screens.dialogs import InputDialog

        service = self.service
        if service is None or not self.account or self.account == UNIFIED:
            self.notify("Choose a folder of an account first.")
            return
        account, folder = self.account, self.folder

        def after(_r) -> None:
            self.refresh_folders()

        if what == "create":
            self.push_screen(
                InputDialog(f"New folder in {sanitize(account)}:"),
                lambda name: (
                    name
                    and self.work(lambda: service.create_folder(account, name), "folder", after)
                ),
            )
        elif what == "rename":
            account, folder = self._folder_to_rename(account, folder)
            if folder.upper() == "INBOX":
                self.notify("INBOX cannot be renamed.")
                return
            self.push_screen(
                InputDialog(f"Rename {folder} to:", folder),
                lambda name: (
                    name
                    and self.work(
                        lambda: service.rename_folder(account, folder, name), "folder", after
                    )
                ),
            )
        else:
            self.ask_delete_folder()

    def _folder_to_rename(self, account: str, folder: str) -> tuple[str, str]:
        """F2 in the folder tree renames the folder highlighted there (as D deletes it),
        not the open one; elsewhere the open folder."""
        main = self.main
        tree = main.query_one(FolderTree) if main is not None else None
        node = tree.cursor_node if tree is not None and tree.has_focus else None
        data = node.data if node is not None else None
        if data and data[1] and data[0] != UNIFIED:
            return data
        return account, folder

    def ask_delete_folder(self) -> None:
        """Delete the folder highlighted in the folder tree (not the open one); INBOX and
        the special folders are never offered."""
        from tuimail.ui.screens.dialogs import ConfirmDialog

        service, main = self.service, self.main
        if service is None or main is None:
            return
        tree = main.query_one(FolderTree)
        node = tree.cursor_node
        data = node.data if node is not None else None
        if not data or not data[1] or data[0] == UNIFIED:
            if tree.has_focus:  # on an account, the unified inbox or a level of the tree
                self.notify("That line is not a folder: highlight a folder to delete.")
            else:
                self.notify("Highlight a folder in the folder tree first (Tab).")
            return
        account, folder = data
        if not service.can_delete_folder(account, folder):
            notify(self, f"The folder {folder} cannot be deleted.")
            return

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            if (self.account, self.folder) == (account, folder):
                others = [f for f in self._folder_infos or [] if f.name != folder]
                inbox = inbox_of(others, account)
                self.open_folder(account, inbox.name if inbox is not None else "INBOX")
            self.work(
                lambda: service.delete_folder(account, folder),
                "folder",
                lambda _r: self.refresh_folders(),
            )

        self.push_screen(
            ConfirmDialog(
                # quoted: a name of plain words ("with space") reads as part of the question
                f"Delete the folder “{sanitize(folder)}” and all its messages?"
            ),
            answer,
        )

    def _ask_password_again(self, name: str) -> None:
        """A refused password the user typed here: ask for it again (once at a time) and,
        with an answer, try that one login. A password from password_command or the keyring
        is never asked for (retrying it would only be refused again): the status bar says
        what to fix."""
        service = self.service
        if service is None or name not in service.accounts:
            return
        account = service.accounts[name]
        if getattr(service, "_password_for", None) != self.ask_password:
            return
        if account.password_command or getattr(account, "auth", "password") != "password":
            return
        asking = self.__dict__.setdefault("_asking_password", set())
        if name in asking:
            return
        asking.add(name)

        def job() -> None:
            from tuimail.core.secrets import keyring_password

            try:
                if keyring_password(account) is not None:
                    return
                if service.password_for(account):  # the dialog; cancelled: raises or empty
                    service.backend(name).sync()
            finally:
                asking.discard(name)

        self.run_worker(job, thread=True, exit_on_error=False, name=f"password-again-{name}")

    def sync_all(self) -> None:
        if self.service is not None:
            service = self.service

            def job() -> None:
                service.sync_all()  # side by side: a silent server holds back no other
                # The user asked to check now: a message waiting after a temporary failure
                # is tried now too, not after its back-off (a refused one still waits).
                service.send_due_outbox(retrying=True)

            self.work(job, "sync-now")

    def send_outbox_now(self) -> None:
        """The user asked: every waiting message (failed ones too) gets another attempt."""
        if self.service is None:
            return
        service = self.service

        def done(sent: int) -> None:
            if not sent:
                waiting = service.outbox_waiting
                notify(
                    self,
                    f"{waiting} message(s) still wait in the outbox."
                    if waiting
                    else "The outbox is empty.",
                )

        self.work(lambda: service.send_due_outbox(force=True), "outbox-now", done)

    # -- composing --------------------------------------------------------------------

    def _default_account(self) -> str:
        assert self.service is not None
        if self.account and self.account != UNIFIED:
            return self.account
        return next(iter(self.service.accounts))

    def compose_new(self) -> None:
        if self.service is None:
            return
        service, account = self.service, self._default_account()
        try:
            draft = service.new_draft(account)  # with the signature
        except Exception:
            draft = Draft(account=account)
        self.open_composer(draft)

    def resume_draft(self, row: MessageRow) -> None:
        """A message in Drafts opens in the composer (headers, body, attachments)."""
        service = self.service
        if service is None:
            return
        self.work(lambda: service.resume_draft(row), "resume", self.open_composer)

    def is_draft(self, row: MessageRow | None) -> bool:
        if row is None or self.service is None:
            return False
        try:
            return self.service.is_draft(row)
        except Exception:
            return False

    def open_composer(self, draft: Draft) -> None:
        assert self.service is not None
        identities = self.service.identities()  # every address of every account
        senders = [
            (
                plain_text(f"{i.name or ''} <{i.email}>".strip()),
                (i.account, i.email),
            )
            for i in identities
        ]
        signatures = {(i.account, i.email): i.signature for i in identities}
        from tuimail.ui.screens.composer import ComposerScreen

        self.push_screen(ComposerScreen(draft, self.service.addresses, senders, signatures))

    def reply(self, rows: list[MessageRow], all: bool, to_list: bool = False) -> None:
        if not rows or self.service is None:
            self.notify("No message selected.")
            return
        service = self.service
        self.work(
            lambda: service.reply_draft(rows[0], all=all, to_list=to_list),
            "reply",
            self.open_composer,
        )

    def forward(self, rows: list[MessageRow], as_attachment: bool = False) -> None:
        """Forward inline (text quoted, attachments carried) or as a message/rfc822
        attachment."""
        if not rows or self.service is None:
            self.notify("No message selected.")
            return
        service = self.service
        self.work(
            lambda: service.forward_draft(rows[0], as_attachment=as_attachment),
            "forward",
            self.open_composer,
        )

    def send_draft(self, screen: ComposerScreen, draft: Draft) -> None:
        from tuimail.words.sent import sent_needs_attention, sent_note

        service = self.service
        assert service is not None

        def done(entry) -> None:
            warn = sent_needs_attention(entry)
            notify(self, sent_note(entry), severity="warning" if warn else "information")
            if screen.is_current:
                screen.dismiss(None)
            self.reload_list()
            self.refresh_folders()

        def say_sending() -> None:
            self.notify("Sending…", timeout=2)

        def job() -> Any:
            try:
                # "Sending…" only once it is really going out (after the checks)
                return service.send(draft, sending=lambda: self.hop(say_sending))
            except QueuedError as queued:
                # in the outbox: closing the composer loses nothing
                self.call_from_thread(screen.mark_kept)
                if getattr(queued.entry, "state", "") in ("queued", "retrying"):
                    # The outbox sends it by itself: a second Send would send it twice.
                    self.call_from_thread(
                        lambda: screen.dismiss(None) if screen.is_current else None
                    )
                raise

        self.work(job, "send", done)

    def save_draft(self, draft: Draft, then: Callable[[], None] | None = None) -> None:
        """Save `draft` in a worker; `then` runs after it was saved (not when it failed)."""
        from tuimail.words.sent import draft_saved

        service = self.service
        assert service is not None

        def saved(info) -> None:
            notify(self, draft_saved(info))
            if then is not None:
                then()

        self.work(lambda: service.save_draft(draft), "draft", saved)

    # -- passwords ------------------------------------------------------------------

    def ask_password(self, account) -> Any:
        """Called from a worker thread: the session's password, asked for once if needed."""
        import threading

        from tuimail.core.secrets import get_password
        from tuimail.ui.screens.dialogs import InputDialog

        def ask(prompt: str) -> str:
            answer: list[str | None] = [None]
            ready = threading.Event()

            def push() -> None:
                def got(value: str | None) -> None:
                    answer[0] = value
                    ready.set()

                self.push_screen(InputDialog(prompt, password=True), got)

            self.hop(push)
            while not ready.wait(0.2):
                if self._quitting or not self.is_running:
                    return ""
            return answer[0] or ""

        if getattr(account, "auth", "password") == "oauth2":
            return self.sign_in(account)
        return get_password(account, ask=ask)

    def sign_in(self, account) -> Any:
        """Called from a worker thread: the OAuth account's token; when it has no usable
        sign-in (never signed in, or revoked), the device sign-in in a dialog first."""
        from tuimail.core.oauth2 import tokens
        from tuimail.core.secrets import get_password

        try:
            return get_password(account)
        except tokens.NeedsSignIn:
            if account.oauth2_token_command:
                raise
        with _SIGN_IN_LOCK:  # one dialog at a time; the others then find the sign-in
            try:
                return get_password(account)
            except tokens.NeedsSignIn:
                return self._device_sign_in(account)

    def _device_sign_in(self, account) -> Any:
        import threading

        from tuimail.core.oauth2 import flows, tokens
        from tuimail.ui.screens.sign_in import SignInDialog

        ep = tokens.endpoints(account)
        if not ep.device_authorization_endpoint:
            raise tokens.NeedsSignIn(
                protocol="oauth2",
                code="not_signed_in",
                account=account.name,
                browser=True,
            )
        device = flows.start_device(ep)
        closed = threading.Event()
        dialog = SignInDialog(account.name, device.verification_uri, device.user_code)
        self.hop(lambda: self.push_screen(dialog, lambda _none: closed.set()))
        try:
            token_set = flows.poll_device(
                ep, device, cancelled=lambda: closed.is_set() or self._quitting
            )
        except flows.SignInError as exc:
            raise tokens.NeedsSignIn(
                protocol="oauth2",
                code=exc.code,
                server_text=exc.server_text,
                account=account.name,
            ) from None
        finally:
            if not closed.is_set():
                self.hop(dialog.dismiss, None)
        tokens.signed_in(account, token_set)
        return tokens.access_token(account)

    # -- diagnose ---------------------------------------------------------------------

    def diagnose_key(self) -> str:
        return self.key_for("diagnose", DIAGNOSE_KEY)

    def key_for(self, binding_id: str, default: str = "q") -> str:
        """The key shown for a binding (the [keys] remap first, else `default`)."""
        keys = self._keymap.get(binding_id, default)
        return self.get_key_display(Binding(keys.split(",")[0].strip(), ""))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "diagnose":  # from the main screen only (not the wizard, the composer)
            return self.main is not None and self.screen is self.main
        return True

    def diagnose_target(self) -> str | None:
        """The account in error/offline (the one the status bar talks about) if the current
        one is fine, else the current folder's account."""
        if self.service is None or not self.service.accounts:
            return None
        current = self._default_account()
        states = self.service.states()
        broken = [n for n, s in states.items() if s.state in ("error", "offline")]
        if current in broken or not broken:
            return current
        return broken[0]

    def _reload_outbox_view(self) -> None:
        """The outbox view, when shown, lists the outbox again (a background pass sent or
        held a message)."""
        from tuimail.ui.screens.outbox import OutboxScreen

        if isinstance(self.screen, OutboxScreen):
            self.screen.reload()

    def action_open_outbox(self) -> None:
        """The outbox view (P, the palette, a click on the status bar's outbox count)."""
        from tuimail.ui.screens.outbox import OutboxScreen

        if self.service is None or isinstance(self.screen, OutboxScreen):
            return
        self.push_screen(OutboxScreen())

    def action_diagnose(self, name: str | None = None) -> None:
        service = self.service
        name = name or self.diagnose_target()
        if service is None or name is None:
            self.notify("There is no account to diagnose.")
            return
        from tuimail.ui.screens.diagnose import DiagnoseScreen

        self.push_screen(
            DiagnoseScreen(
                service.accounts[name],
                password=service.password_for,
                options=self.doctor_options,
                on_trust=self.trust_account_keys,
            ),
            lambda _closed: self._sync_if_password_given(name),
        )

    def _sync_if_password_given(self, name: str) -> None:
        """After Diagnose: an account that waited for its password (the question was
        answered with Esc) syncs when Diagnose was given one this session, instead of
        staying "no password" until Ctrl+R."""
        from tuimail.core.secrets import SESSION

        service = self.service
        account = service.accounts.get(name) if service is not None else None
        if service is None or account is None:
            return
        state = service.states().get(name)
        if state is None or state.phase != "needs-password" or SESSION.get(account) is None:
            return
        self.work(lambda: service.backend(name).sync(), "sync")

    def trust_account_keys(self, account) -> None:
        """The user trusted a server's new key (Diagnose): saved, and used from now on."""
        from tuimail.core.config import save_account

        save_account(account)
        service = self.service
        if service is not None:
            service.replace_account(account)
            self.work(lambda: service.start_account(account.name), "sync")

    # -- help and palette -------------------------------------------------------------

    def help_rows(self) -> list[tuple[str, str, str]]:
        keymap = self._keymap

        def k(binding_id: str, default: str) -> str:  # remapped keys show as remapped
            return keymap.get(binding_id, default)

        rows = [
            (
                f"{k('list.down', 'down,j')} / {k('list.up', 'up,k')}",
                "Move in the list",
                "list.down / list.up",
            ),
            (k("list.open", "enter"), "Open message", "list.open"),
            (
                f"{k('reader.down', 'j')} / {k('reader.up', 'k')}",
                "Reader: a line down / up",
                "reader.down / reader.up",
            ),
            (
                f"{k('reader.page_down', 'space')} / {k('reader.page_up', 'b')}",
                "Reader: a page down / up",
                "reader.page_down / reader.page_up",
            ),
            (
                f"{k('reader.top', 'g')} / {k('reader.bottom', 'G')}",
                "Reader: top / bottom",
                "reader.top / reader.bottom",
            ),
            (
                f"{k('list.top', 'g')} / {k('list.bottom', 'G')}",
                "Top / bottom of the list",
                "list.top / list.bottom",
            ),
            (k("list.tag", "space"), "Tag / untag", "list.tag"),
            (k("list.visual", "v"), "Select a range (v ends)", "list.visual"),
        ]
        for binding in MAIN_BINDINGS:
            keys = keymap.get(binding.id or "", binding.key)
            shown = " ".join(self.get_key_display(Binding(k.strip(), "")) for k in keys.split(","))
            rows.append((shown, binding.description, binding.id or ""))
        rows.extend(
            [
                (k("composer.send", "ctrl+s"), "Send (composer)", "composer.send"),
                (
                    k("composer.save_draft", "ctrl+d"),
                    "Save draft (composer)",
                    "composer.save_draft",
                ),
                (k("composer.editor", "ctrl+e"), "Edit in $EDITOR", "composer.editor"),
                (self.diagnose_key(), "Diagnose account", "diagnose"),
            ]
        )
        return rows

    def _keys_of(self, binding: Binding) -> str:
        """The keys that run a binding now (after a [keys] remap)."""
        return self._keymap.get(binding.id or "", binding.key)

    def action_show_help_screen(self) -> None:
        from tuimail.ui.screens.dialogs import HelpScreen

        self.push_screen(HelpScreen(self.help_rows()))

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        main = self.main
        if main is None or screen is not main:
            # The composer, wizard, Diagnose...: their own actions, never the list's
            # behind them (a Delete from the composer's palette deleted a message).
            for binding in getattr(screen, "BINDINGS", []):
                if isinstance(binding, Binding) and binding.description:
                    yield SystemCommand(
                        binding.description,
                        markup_literal(f"{binding.description} ({self._keys_of(binding)})"),
                        lambda action=binding.action, on=screen: getattr(on, f"action_{action}")(),
                    )
            return
        for binding in MAIN_BINDINGS:
            action = binding.action

            def run(action: str = action) -> None:
                if self.main is not None:
                    getattr(self.main, f"action_{action}")()

            yield SystemCommand(
                binding.description,
                markup_literal(f"{binding.description} ({self._keys_of(binding)})"),
                run,
            )
        for binding in MessageList.BINDINGS:
            if binding.id not in ("list.tag", "list.visual"):
                continue

            def run_list(action: str = binding.action) -> None:
                if self.main is not None:
                    getattr(self.main.query_one(MessageList), f"action_{action}")()

            title = "Tag / untag message" if binding.id == "list.tag" else "Select a range"
            yield SystemCommand(
                title,
                markup_literal(f"{binding.description} ({self._keys_of(binding)})"),
                run_list,
            )
        yield SystemCommand(
            "Send waiting messages now",
            "Try every message in the outbox again (a failed one too)",
            self.send_outbox_now,
        )
        yield SystemCommand(
            "Diagnose account…",
            markup_literal(
                f"Run every check on the current account's servers ({self.diagnose_key()})"
            ),
            self.action_diagnose,
        )

    def folder_commands(self) -> list[tuple[str, Callable[[], None]]]:
        """("Open folder NAME", open it) for every folder, for the palette's FolderCommands
        (which shows the titles as plain text: folder names are never markup)."""
        if self.service is None:
            return []
        try:
            folders = self._known_folders()
        except Exception:  # the store is busy: no folder commands this time
            return []
        several = len({f.account for f in folders}) > 1
        commands: list[tuple[str, Callable[[], None]]] = []
        if several:  # the tree's first line, "All inboxes", is a folder too
            unified = FolderInfo(UNIFIED, "INBOX")
            commands.append(("Open folder All inboxes", lambda: self._open_from_palette(unified)))
        for folder in folders:
            name = sanitize(folder.name)
            shown = f"{sanitize(folder.account)}/{name}" if several else name
            commands.append((f"Open folder {shown}", lambda f=folder: self._open_from_palette(f)))
        return commands

    def _open_from_palette(self, folder) -> None:
        main = self.main
        if main is None:
            self.open_folder(folder.account, folder.name)
        else:  # as the tree does: the folder's list, not the message read before
            main.show_folder(folder.account, folder.name)

    async def action_quit(self) -> None:
        from tuimail.ui.screens.composer import ComposerScreen

        # A message being written is never thrown away by Ctrl+Q without a question.
        for screen in reversed(self.screen_stack):
            if isinstance(screen, ComposerScreen) and screen.changed:
                screen.ask_before_quit(self._quit_now)
                return
        self._quitting = True
        await super().action_quit()

    def _quit_now(self) -> None:
        self._quitting = True
        self.exit()

    def _watch_hangup(self) -> None:
        """SIGHUP (the SSH connection or the terminal went away) ends tuimail through
        `hangup`, not at once: what is being written is kept as a draft first."""
        import asyncio
        import signal

        try:
            previous = signal.getsignal(signal.SIGHUP)
            if previous == signal.SIG_IGN:
                return  # started under nohup: a hang-up is not for us
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.hangup)
        except (AttributeError, NotImplementedError, RuntimeError, ValueError):
            return  # no SIGHUP here (Windows), or not the main thread (some tests)
        self._hangup_previous = previous

    _hangup_previous: Any = None  # SIGHUP's handler before ours (None: ours not set)

    def hangup(self) -> None:
        """The terminal is gone: save every composer with unsaved changes as a draft (here,
        and in the server's Drafts when it answers), then end, saved or not."""
        from tuimail.ui.screens.composer import ComposerScreen

        composers = [
            screen
            for screen in self.screen_stack
            if isinstance(screen, ComposerScreen) and screen.changed
        ]
        drafts = [(screen, screen.collect()) for screen in composers]
        service = self.service
        if not drafts or service is None:
            self._end_after_hangup()
            return

        def save_all() -> None:
            for screen, draft in drafts:
                try:
                    service.save_draft(draft)
                except Exception:  # one draft that fails does not stop the others
                    log.exception("saving a draft at hang-up failed")
                    continue  # its crash-recovery copy stays for the next start
                screen.forget_recovery()

        self.work(save_all, "draft", lambda _result: self._end_after_hangup())

    def _end_after_hangup(self) -> None:
        """End as a hang-up always ended tuimail: at once, by the signal. (Textual's
        orderly exit waits for a terminal that is gone, and would never end.)"""
        import signal

        self._restore_sighup()
        os.kill(os.getpid(), signal.SIGHUP)
        self._quit_now()  # the handler before ours (a test's) did not end the process

    def _restore_sighup(self) -> None:
        if self._hangup_previous is None:
            return
        import asyncio
        import signal

        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            signal.signal(signal.SIGHUP, self._hangup_previous)
        self._hangup_previous = None

    def on_unmount(self) -> None:
        self._quitting = True
        self._restore_sighup()
        self._idle_gc.stop()
        hooks = sys.modules.get("tuimail.core.hooks")  # loaded only if a hook ran
        if hooks is not None:
            hooks.stop_running()  # a new_mail_command still running is not left behind
        if self.service is not None:
            self.service.listener = None
            self.service.stop()


def _as_sentence(text: str) -> str:
    """`text` starting with a capital and closed with a full stop ("the mail server
    refused the connection" -> "The mail server refused the connection.")."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def describe(exc: BaseException) -> str:
    """tuimail.words.describe.describe, imported at the first failure said: the words
    package is not needed for the first paint."""
    from tuimail.words.describe import describe as words

    return words(exc)


def _is_threads(source: object) -> bool:
    """Whether the list shows a thread tree (tuimail.core.thread_list, imported when
    threads are first turned on: until then no list can be one)."""
    thread_list = sys.modules.get("tuimail.core.thread_list")
    return thread_list is not None and isinstance(source, thread_list.ThreadSource)


def _first_inbox(service: MailService | None, folders: list) -> FolderInfo | None:
    """The inbox of the first account in the config (what the app opens, as mutt and aerc
    open their first account); None while that account has no folder listed yet."""
    first = next(iter(service.accounts), None) if service is not None else None
    return inbox_of(folders, first) if first is not None else None


def _read_first(service: MailService, sort: str, reverse: bool) -> tuple[list, tuple | None]:
    """The folders, and the inbox's first rows (account, folder, sort, reverse, Loaded)."""
    folders = service.folders()
    if not folders:
        return folders, None
    inbox = _first_inbox(service, folders) or inbox_of(folders)
    assert inbox is not None  # folders is not empty
    source = service.source(inbox.account, inbox.name, sort, reverse=reverse)
    return folders, (inbox.account, inbox.name, sort, reverse, load(source, 0))


def _tree_frozen(build: Callable[[], Any]) -> Any:
    """A thread tree built in a worker with the cyclic garbage collector paused and, when
    big, its objects (several per message) then frozen out of the collector's walks:
    otherwise the next collections walked them all, on the UI thread too (measured at 100k:
    150 ms, and 1.4 s for a full one). The trees have no cycles (tuimail.core.threads), so
    a frozen tree is still freed when the list drops it. What else is cyclic garbage at
    that moment stays (the young generations are collected first, so little does)."""
    from tuimail.core.threads import paused_gc

    gc.collect(1)  # the young generations: small, and without the tree yet
    with paused_gc():
        built = build()
        if built is not None and built.count() > FREEZE_TREE:
            gc.freeze()
    return built


def _wait_for_enter(prompt: str) -> None:
    """After a command run with the app suspended: let the user read its output."""
    try:
        input(prompt)
    except (EOFError, OSError):
        pass


def _user_job(name: str) -> bool:
    """Workers that run something the user asked for (not reading, previews, watching).
    Queued message actions ("action-*") catch their own errors: they clear it themselves."""
    return name in (
        "move",
        "folder",
        "send",
        "draft",
        "sync-now",
        "outbox-now",
        "save",
    )


def _connection_error(exc: BaseException) -> bool:
    """Errors a diagnosis can explain: network, TLS, protocol and login failures."""
    from tuimail.core.errors import MailError

    if isinstance(exc, OSError | MailError):
        return True
    module = type(exc).__module__.split(".")[0]
    return module in ("imaplib", "imapclient", "poplib", "aiosmtplib", "smtplib")


def other_css() -> list[str]:
    """The screens' stylesheets (screens/*.tcss), each some screen's CSS_PATH, in name
    order: the ones not read at start."""
    return sorted(p.name for p in SCREENS_DIR.glob("*.tcss"))
