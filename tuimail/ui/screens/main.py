"""The main screen: folder tree, message list, reader.

Layouts by width: under NARROW (100) one view at a time (list, reader or folders); from
NARROW to WIDE (140) folders and list, the reader replacing the list when a message is
opened (the preview yields first so the subject keeps its room); from WIDE on, three
panes with a preview. Enter opens a message (the reader, focused); q/Esc go back one
level: reader -> list, search results -> the folder, the folder view (q) -> quit, asking
first only when messages still wait in the outbox.
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header

from tuimail.core.facade.views import SEARCH
from tuimail.core.sanitize import sanitize
from tuimail.core.service import UNIFIED, MessageRow, ReaderView
from tuimail.ui.plain import notify
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.key_footer import KeyFooter
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.prompt_line import PromptLine
from tuimail.ui.widgets.reader import ReaderPane
from tuimail.ui.widgets.status import StatusBar

NARROW = 100
WIDE = 140  # from here on the preview pane is shown beside the list
PREVIEW_DELAY = 0.15  # seconds the cursor rests before the preview loads

MAIN_BINDINGS = [
    Binding("r", "reply", "Reply", id="reply"),
    Binding("R", "reply_all", "Reply all", show=False, id="reply_all"),
    Binding("L", "reply_list", "Reply to list", show=False, id="reply_list"),
    Binding("f", "forward", "Forward", show=False, id="forward"),
    Binding("F", "forward_attachment", "Fwd as attachment", show=False, id="forward_attachment"),
    Binding("e", "edit_draft", "Edit draft", show=False, id="edit_draft"),
    Binding("c", "compose", "Compose", id="compose"),
    Binding("d,delete", "delete", "Delete", id="delete"),
    Binding("u", "undo", "Undo", show=False, id="undo"),
    Binding("m", "move", "Move", show=False, id="move"),
    Binding("y", "copy", "Copy", show=False, id="copy"),
    Binding("a", "archive", "Archive", show=False, id="archive"),
    Binding("s", "flag", "Flag", show=False, id="flag"),
    Binding("U", "toggle_read", "Read/unread", show=False, id="toggle_read"),
    Binding("T", "tag_pattern", "Tag matching", show=False, id="tag_pattern"),
    Binding("ctrl+t", "tag_thread", "Tag thread", show=False, id="tag_thread"),
    Binding("vertical_line", "pipe", "Pipe to command", show=False, id="pipe"),
    Binding("W", "save_message", "Save as .eml", show=False, id="save_message"),
    Binding("exclamation_mark", "shell", "Shell", show=False, id="shell"),
    Binding("l", "links", "Links (open/copy)", show=False, id="links"),
    Binding("x", "attachments", "Attachments", show=False, id="attachments"),
    # Priority: handled in typing order, so a search typed in one burst ("/lunch" and
    # Enter, fast or over SSH) goes into the search line, never to the list as commands.
    Binding("slash", "search", "Search", id="search", priority=True),
    Binding("tab", "switch_pane", "Switch pane", show=False, id="switch_pane", priority=True),
    Binding("z", "toggle_quotes", "Quotes", show=False, id="toggle_quotes"),
    Binding("V", "raw", "Raw source on/off", show=False, id="raw"),
    Binding("i", "delivery_report", "Delivery report", show=False, id="delivery_report"),
    Binding("n", "next", "Next", show=False, id="next"),
    Binding("p", "previous", "Previous", show=False, id="previous"),
    Binding("S", "save_attachments", "Save attachments", show=False, id="save_attachments"),
    Binding("O", "open_attachment", "Open attachment", show=False, id="open_attachment"),
    Binding("o", "sort", "Sort", show=False, id="sort"),
    Binding("ctrl+o", "reverse", "Reverse order", show=False, id="reverse"),
    Binding("t", "threads", "Threads", show=False, id="threads"),
    Binding("minus", "collapse_thread", "Collapse/expand thread", show=False, id="collapse_thread"),
    Binding("equals_sign", "collapse_all", "Collapse/expand all", show=False, id="collapse_all"),
    Binding("A", "mark_all_read", "Mark all read", show=False, id="mark_all_read"),
    Binding("N", "new_folder", "New folder", show=False, id="new_folder"),
    Binding("f2", "rename_folder", "Rename folder", show=False, id="rename_folder"),
    Binding("D", "delete_folder", "Delete folder", show=False, id="delete_folder"),
    Binding("plus", "add_account", "Add account", show=False, id="add_account"),
    Binding("ctrl+r", "refresh", "Sync now", show=False, id="refresh"),
    Binding("P", "outbox", "Outbox (pending mail)", show=False, id="outbox"),
    # Priority, with the focus moved at once: "q j Enter" typed in one burst from the
    # reader goes back, moves and opens (the keys after q reach the list, not the reader).
    Binding("q", "back", "Back/Quit", id="back", priority=True),
    # Esc goes back as q does but never ends tuimail: a stray Esc (a vi habit) must not.
    Binding("escape", "back(False)", "Back", show=False, id="back_escape", priority=True),
    Binding("question_mark", "help", "Help", id="help"),
]


class MainScreen(Screen):
    BINDINGS = MAIN_BINDINGS
    # Textual repaints the whole screen whenever the focus moves (Screen.focused is a
    # repainting reactive): ~10 ms of the loop on each open and q at 160x50 (issue 19).
    # The widgets whose look follows the focus repaint themselves (their :focus styles
    # change), so the screen need not.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    _preview_timer = None
    _mark_timer = None
    titled: tuple[str, str] | None = None  # (account, folder) the title names

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Horizontal(id="panes"):
            yield FolderTree(id="folders")
            yield MessageList(id="messages", now=self.app.now, columns=self.app.ui.columns)
            yield ReaderPane(id="reader")
        yield StatusBar(id="status")
        yield PromptLine(id="prompt")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(MessageList).focus()
        self._layout(self.size.width)
        self.app.refresh_folders()

    _resumed = False

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """The first resume (the screen just pushed) does not restyle every widget:
        each was styled as it was mounted, moments before (~10 ms of the first paint's
        CPU, issue 19). Later ones do, as Screen's own handler (called next) says."""
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_resize(self, event) -> None:
        self._layout(event.size.width)

    def _layout(self, width: int) -> None:
        was_previewing = self.previewing
        self.set_class(width < NARROW, "narrow")
        self.set_class(NARROW <= width < WIDE, "medium")
        if width >= NARROW and self.choosing_folder:
            self._set_choosing_folder(False)
        if self.previewing and not was_previewing:
            self._preview_current()

    def _preview_current(self) -> None:
        """The preview just appeared (the terminal widened): it shows the message under
        the cursor, as it would had the cursor moved there (not by the user: not marked
        read), instead of "No message selected." (or the message read before) beside a
        highlighted row."""
        reader = self.query_one(ReaderPane)
        row = self.query_one(MessageList).current
        if row is None or row.id < 0 or reader.raw is not None or self.app.shows(row):
            return
        self._stop_timers()
        self._preview_timer = self.set_timer(
            PREVIEW_DELAY, lambda: self.app.load_message(row, preview=True, by_user=False)
        )

    @property
    def previewing(self) -> bool:
        """The reader is shown beside the list (wide terminals)."""
        return not (self.has_class("narrow") or self.has_class("medium"))

    # Which view is shown is kept here and marked by classes on the panes it concerns
    # (-reading on the list and the reader, -choosing-folder on the folders and the
    # list), never on the screen: a class change on the screen restyles every widget on
    # it, which stalled the loop ~10 ms on each open and q (issue 19). The panes are
    # restyled anyway, as their focus changes at the same moment.
    _reading = False
    _choosing_folder = False

    @property
    def reading(self) -> bool:
        return self._reading

    @property
    def choosing_folder(self) -> bool:
        """Narrow terminals: the folder tree is shown as its own view."""
        return self._choosing_folder

    def _set_reading(self, on: bool) -> None:
        self._reading = on
        self.query_one(MessageList).set_class(on, "-reading")
        self.query_one(ReaderPane).set_class(on, "-reading")

    def _set_choosing_folder(self, on: bool) -> None:
        self._choosing_folder = on
        self.query_one(FolderTree).set_class(on, "-choosing-folder")
        self.query_one(MessageList).set_class(on, "-choosing-folder")

    def show_folders(self, on: bool) -> None:
        self._set_choosing_folder(on)
        if on:
            self._set_reading(False)
            self.set_focus(self.query_one(FolderTree))
        else:
            self.set_focus(self.query_one(MessageList))

    def ask_line(self, prompt: str, answer) -> None:
        """Ask for one line of text on the status bar's line (Enter: the text; Esc or
        leaving it: None)."""
        self.query_one(PromptLine).ask(prompt, answer, hides=self.query_one(StatusBar))

    def show_reader(self, on: bool) -> None:
        """Open the reader (it takes the list's place unless previewing; focused either
        way, so j/k/Space scroll it) or go back to the list."""
        if on != self._reading:
            self._set_reading(on)
        # At once (Widget.focus waits a turn): keys already typed go to the new view.
        self.set_focus(self.query_one(ReaderPane if on else MessageList))

    # An attachment (or the HTML version) shown in the reader: the text, and whether the
    # message was open before, so q goes back to where the user was (mutt's pager does).
    _attachment: tuple[str, bool] | None = None

    def show_attachment_text(self, text: str) -> None:
        self._attachment = (text, self.reading)
        self.query_one(ReaderPane).show_raw(text)
        self.show_reader(True)

    def _leave_attachment(self) -> bool:
        """q on a shown attachment: back to the message (or the list it was opened
        from). False when the reader shows no attachment."""
        shown, self._attachment = self._attachment, None
        reader = self.query_one(ReaderPane)
        if shown is None or reader.raw is not shown[0] or not self.reading:
            return False
        reader.show_raw(None)
        if not shown[1]:
            self.show_reader(False)
        return True

    # messages from widgets
    @on(FolderTree.FolderChosen)
    def _folder(self, event: FolderTree.FolderChosen) -> None:
        self.show_folder(event.account, event.folder)

    def show_folder(self, account: str, folder: str) -> None:
        """Open a folder (the tree, the palette): its list, not the message read before."""
        self.app.open_folder(account, folder)
        self._set_choosing_folder(False)
        self._set_reading(False)
        self.set_focus(self.query_one(MessageList))

    @on(MessageList.Highlighted)
    def _highlight(self, event: MessageList.Highlighted) -> None:
        # Preview once the cursor rests: holding j must not start a fetch per row.
        self._stop_timers()
        if event.row is None or event.row.id < 0:  # empty folder, or a thread's placeholder
            reader = self.query_one(ReaderPane)
            if reader.message_view is not None or reader.raw is not None:
                reader.show_message(None)
            if self.reading and not self.previewing:
                self.show_reader(False)  # the last message read left: back to the list
        elif self.reading and not self.previewing:
            # The reader in the list's place: a message it showed left the list (deleted,
            # archived, moved) and the cursor is on the next one. The reader shows that
            # one, as mutt's pager does, so the next key acts on the message on screen.
            if not self.app.shows(event.row) and self.app.shown_left():
                self.app.load_message(event.row, preview=False)
        elif self.previewing:
            row, by_user = event.row, event.by_user
            self._preview_timer = self.set_timer(
                PREVIEW_DELAY, lambda: self.app.load_message(row, preview=True, by_user=by_user)
            )

    def _stop_timers(self) -> None:
        for timer in (self._preview_timer, self._mark_timer):
            if timer is not None:
                timer.stop()
        self._preview_timer = self._mark_timer = None

    @on(MessageList.Opened)
    def _opened(self, event: MessageList.Opened) -> None:
        self._stop_timers()
        if event.row.id < 0:  # a thread's placeholder: a message that is not here
            return
        if self.app.is_draft(event.row):  # a saved draft is for finishing, not reading
            self.app.resume_draft(event.row)
            return
        self.app.load_message(event.row, preview=False)
        self.show_reader(True)

    def show_view(self, row: MessageRow, view: ReaderView, mark_after: float | None) -> None:
        """Show a message; a preview the user moved to is marked read after `mark_after`
        seconds if it is still the one shown (None: never, or already marked)."""
        self.query_one(ReaderPane).show_message(view)
        if self._mark_timer is not None:
            self._mark_timer.stop()
            self._mark_timer = None
        if mark_after is None or row.seen:
            return
        if mark_after <= 0:
            self.app.mark_previewed_read(row)
        else:
            self._mark_timer = self.set_timer(mark_after, lambda: self.app.mark_previewed_read(row))

    @on(MessageList.TagsChanged)
    def _tags(self, _event: MessageList.TagsChanged) -> None:
        if self.titled is not None:
            self.set_title(*self.titled)

    # actions
    def current_rows(self) -> list[MessageRow]:
        """The message under the list's cursor; none while the folders are shown in the
        list's place (narrow): d there must not delete a message that is not on screen."""
        if self.choosing_folder:
            return []
        row = self.query_one(MessageList).current
        reader = self.query_one(ReaderPane)
        if (
            self.reading
            and not self.previewing
            and reader.raw is None
            and reader.message_view is not None
            and (row is None or not self.app.shows(row))
        ):
            # The reader in the list's place shows another message than the cursor's
            # (new mail pushed it far down the list): a key acts on the one on screen.
            shown = self.app.shown_row()
            if shown is not None:
                return [shown]
        return [row] if row is not None and row.id >= 0 else []

    def target_rows(self) -> list[MessageRow]:
        """What a bulk action applies to: the tagged rows, else the one under the cursor."""
        tagged = self.query_one(MessageList).tagged_rows()
        return tagged or self.current_rows()

    def done_with_tags(self) -> None:
        """A bulk action was applied: the tags have served."""
        self.query_one(MessageList).clear_tags()

    def action_back(self, may_quit: bool = True) -> None:
        """One level back: folders/reader -> list, search results -> folder, then quit
        (q; Esc at the top only says how to quit)."""
        reader = self.query_one(ReaderPane)
        lst = self.query_one(MessageList)
        if self.choosing_folder:
            self.show_folders(False)
        elif lst.has_focus and (lst.tagged or lst.selecting):
            lst.clear_tags()  # tags first: q/Esc never leave a folder with tags set
        elif self._leave_attachment():
            pass
        elif self.reading or reader.has_focus or self.query_one(FolderTree).has_focus:
            self.show_reader(False)
        elif self.app.folder == SEARCH:
            self.app.leave_search()
        elif may_quit:
            self.app.ask_quit()
        else:
            notify(self, f"{self.app.key_for('back')} quits tuimail.", timeout=2)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("search", "back") and self.query_one(PromptLine).is_open:
            return False  # a "/" or "q" typed in the search line is text; Esc cancels it
        return True

    def action_switch_pane(self) -> None:
        if self.query_one(PromptLine).is_open:
            return  # typing a search: Tab stays in it (as in the box it replaced)
        if self.has_class("narrow"):
            # One view at a time: Tab goes to the folders and back to the list.
            self.show_folders(not self.choosing_folder)
            return
        order = [self.query_one(FolderTree), self.query_one(MessageList)]
        reader = self.query_one(ReaderPane)
        if reader.display:
            order.append(reader)
        focused = self.focused
        index = next((i for i, w in enumerate(order) if w is focused), -1)
        order[(index + 1) % len(order)].focus()

    def action_next(self) -> None:
        self._step(1)

    def action_previous(self) -> None:
        self._step(-1)

    def _step(self, by: int) -> None:
        """n / p: the next or previous message (read in the reader when it is open); at
        either end it says so (as mutt does) instead of reading the same one again."""
        lst = self.query_one(MessageList)
        before = lst.cursor
        if by > 0:
            lst.action_cursor_down()
        else:
            lst.action_cursor_up()
        if lst.cursor == before:
            self.notify(
                "This is the last message." if by > 0 else "This is the first message.", timeout=2
            )
            return
        if self.reading and lst.current:
            self.app.load_message(lst.current, preview=False)

    def action_toggle_quotes(self) -> None:
        self.query_one(ReaderPane).toggle_quotes()

    def action_raw(self) -> None:
        """Raw source on/off (the message's own view again the second time)."""
        reader = self.query_one(ReaderPane)
        if reader.raw is not None and self.reading:
            rows = self.current_rows()
            if rows and not self.app.shows(rows[0]):
                # V from the list showed the source of a message the reader never
                # loaded: its own view, not the one read before, comes back.
                self.app.load_message(rows[0], preview=False)
            reader.show_raw(None)
            return
        rows = self.current_rows()
        if rows:
            self.app.show_raw(rows[0])
            self.show_reader(True)

    def action_delivery_report(self) -> None:
        rows = self.current_rows()
        if rows:
            self.app.show_report(rows[0])

    def action_help(self) -> None:
        self.app.action_show_help_screen()

    def action_compose(self) -> None:
        self.app.compose_new()

    def action_reply(self) -> None:
        self.app.reply(self.current_rows(), all=False)

    def action_reply_all(self) -> None:
        self.app.reply(self.current_rows(), all=True)

    def action_reply_list(self) -> None:
        self.app.reply(self.current_rows(), all=False, to_list=True)

    def action_forward(self) -> None:
        self.app.forward(self.current_rows())

    def action_forward_attachment(self) -> None:
        self.app.forward(self.current_rows(), as_attachment=True)

    def action_outbox(self) -> None:
        self.app.action_open_outbox()

    def action_edit_draft(self) -> None:
        rows = self.current_rows()
        if rows and self.app.is_draft(rows[0]):
            self.app.resume_draft(rows[0])
        else:
            self.notify("Only a message in Drafts can be edited (e).")

    def action_delete(self) -> None:
        self.app.message_action("delete", self.target_rows())

    def action_archive(self) -> None:
        self.app.message_action("archive", self.target_rows())

    def action_flag(self) -> None:
        self.app.message_action("flag", self.target_rows())

    def action_toggle_read(self) -> None:
        self.app.message_action("toggle_read", self.target_rows())

    def action_undo(self) -> None:
        self.app.message_action("undo", [])

    def action_move(self) -> None:
        self.app.ask_move(self.target_rows(), copy=False)

    def action_copy(self) -> None:
        self.app.ask_move(self.target_rows(), copy=True)

    def action_tag_pattern(self) -> None:
        self.app.ask_tag_pattern()

    def action_tag_thread(self) -> None:
        self.app.tag_thread(self.current_rows())

    def action_pipe(self) -> None:
        self.app.ask_pipe(self.target_rows())

    def action_save_message(self) -> None:
        self.app.ask_save_messages(self.target_rows())

    def action_shell(self) -> None:
        self.app.ask_shell()

    def action_attachments(self) -> None:
        self.app.ask_attachments(self.current_rows())

    def action_links(self) -> None:
        self.app.ask_links(self.current_rows())

    def action_search(self) -> None:
        self.app.ask_search()

    def action_sort(self) -> None:
        self.app.cycle_sort()

    def action_threads(self) -> None:
        self.app.toggle_threads()

    def action_reverse(self) -> None:
        self.app.reverse_sort()

    def action_collapse_thread(self) -> None:
        self.app.toggle_thread_collapse(every=False)

    def action_collapse_all(self) -> None:
        self.app.toggle_thread_collapse(every=True)

    def action_mark_all_read(self) -> None:
        self.app.message_action("mark_all_read", [])

    def action_new_folder(self) -> None:
        self.app.ask_folder("create")

    def action_rename_folder(self) -> None:
        self.app.ask_folder("rename")

    def action_delete_folder(self) -> None:
        self.app.ask_folder("delete")

    def action_add_account(self) -> None:
        self.app.action_add_account()

    def action_refresh(self) -> None:
        self.app.sync_all()

    def save_attachments_note(self) -> None:  # pragma: no cover - placeholder for docs
        pass

    def action_open_attachment(self) -> None:
        self.app.ask_open_attachment(self.current_rows())

    def action_save_attachments(self) -> None:
        self.app.ask_save_attachments(self.current_rows())

    def set_title(self, account: str, folder: str) -> None:
        """The header names the folder the list shows (`titled`; the one chosen may still
        be loading), with the tags."""
        self.titled = (account, folder)
        if folder == SEARCH:
            label = self.app.search_title or "Search results"
        elif account == UNIFIED:
            label = "All inboxes"
        else:
            label = f"{sanitize(account)} — {sanitize(folder)}"
        lst = self.query_one(MessageList)
        if lst.tagged or lst.selecting:
            label += f" · {len(lst.tagged)} tagged" + (
                " (selecting: v ends)" if lst.selecting else ""
            )
        self.app.sub_title = label
