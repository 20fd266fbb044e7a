"""Untrusted text is shown literally: markup payloads never crash, never run an action.

Property tests push markup payloads (`[@click=...]`, `[link=...]`, `[/]`, unbalanced
brackets, ESC/OSC) through the widgets that show untrusted text: toasts, the folder tree,
the move picker, the rename/delete dialogs, the status bar. The pilot tests in
test_untrusted_markup_server.py bring the same payloads from the bundled server.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from textual.app import App
from textual.widgets import Label, OptionList, Static
from textual.widgets._toast import Toast

from tests.ui.helpers import wait_for
from tests.ui.markup_payloads import CLICK, has_actions, literal, payloads, shown
from tuimail.core.errors import Refused
from tuimail.core.service import (
    AccountState,
    FolderInfo,
    ListSource,
    MessageRow,
    ReaderAttachment,
    ReaderBlock,
    ReaderView,
)
from tuimail.ui.plain import markup_literal, notify, plain, plain_text
from tuimail.ui.screens.dialogs import ConfirmDialog, FolderPicker, InputDialog
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane
from tuimail.ui.widgets.status import StatusBar

SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class Stage(App[None]):
    """A bare app that records any action a payload might smuggle in."""

    def __init__(self) -> None:
        super().__init__()
        self.actions_run: list[str] = []

    def compose(self):
        yield FolderTree(id="folders")
        yield StatusBar(id="status")

    def action_screenshot(self, *args) -> None:  # what [@click=app.screenshot(...)] runs
        self.actions_run.append("screenshot")

    def action_bell(self) -> None:
        self.actions_run.append("bell")


@given(payloads)
@example(CLICK)
@example("[link='x]a.pdf")
@example("[/]")
def test_plain_and_plain_text_show_any_payload_literally(payload):
    for visual in (plain(payload), plain_text(payload), plain(payload, style="bold")):
        assert shown(visual) == literal(payload)
        assert not has_actions(visual)


@given(payloads)
@example("\\[b]x")
@example("a\\")
def test_markup_literal_survives_markup_parsing_unchanged(payload):
    """For the palette's system commands (markup-only): every payload comes out as it
    went in (sanitised), whatever brackets and backslashes it holds."""
    from textual.content import Content

    assert Content.from_markup(markup_literal(payload)).plain == literal(payload)
    assert Content.from_markup(markup_literal(f"Reply ({payload})")).spans == []


@given(payloads)
def test_the_notify_helper_turns_markup_off_and_sanitises(payload):
    calls = []

    class Target:
        def notify(self, message, **kwargs):
            calls.append((message, kwargs))

    notify(Target(), f"Saved {payload}", title=payload, timeout=3)
    (message, kwargs) = calls[0]
    assert kwargs["markup"] is False
    assert message == "Saved " + literal(payload)
    assert kwargs["title"] == literal(payload)


async def _shown_literally_everywhere(app: Stage, pilot, payload: str) -> None:
    """One payload through a toast, the folder tree, the status bar, the move picker and
    the rename and delete dialogs (clicking each); back on the first screen after."""
    # a toast (as after saving an attachment or a failed command)
    app.clear_notifications()  # the toast of the payload before
    await wait_for(pilot, lambda: not app.screen.query(Toast))
    notify(app, f"Saved /tmp/{payload}", timeout=30)
    await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
    toasts = list(app.screen.query(Toast))
    content = toasts[-1].render()
    assert shown(content) == "Saved /tmp/" + literal(payload)
    assert not has_actions(content)
    await pilot.click(Toast)

    # the folder tree
    tree = app.query_one(FolderTree)
    tree.set_folders(
        [
            FolderInfo("acct" + payload, "INBOX", "inbox", 2),
            FolderInfo("acct" + payload, payload, None, 1),
            FolderInfo("acct" + payload, f"Parent/{payload}", None, 0),
        ],
        None,
    )
    await pilot.pause()
    labels = [shown(node.label) for node in tree._folder_nodes.values()]
    assert any(literal(payload.rsplit("/", 1)[-1].rsplit(".", 1)[-1]) in x for x in labels)
    assert all("\x1b" not in x and "\x07" not in x for x in labels)
    assert not any(has_actions(node.label) for node in tree._folder_nodes.values())

    # the status bar with a server's error
    app.query_one(StatusBar).update_status(
        {"acct": AccountState("error", error=Refused(server_text=payload))},
        0,
        error=f"[ALERT] {payload}",
    )
    status = shown(app.query_one(StatusBar).visual)
    assert literal(payload) in status and "[ALERT] " in status

    # the move picker
    await app.push_screen(FolderPicker(f"Move to {payload}:", [payload, "Archive"]))
    await pilot.pause()
    picker = app.screen
    options = picker.query_one(OptionList)
    prompts = [shown(options.get_option_at_index(i).prompt) for i in range(2)]
    assert prompts == [literal(payload), "Archive"]
    assert shown(picker.query_one(Label).visual) == literal(f"Move to {payload}:")
    await pilot.click(OptionList)
    await pilot.pause()

    # the rename and delete dialogs
    await app.push_screen(InputDialog(f"Rename {payload} to:", payload))
    await pilot.pause()
    assert shown(app.screen.query_one(Label).visual) == literal(f"Rename {payload} to:")
    await pilot.click(Label)
    app.pop_screen()
    await app.push_screen(ConfirmDialog(f"Delete the folder {payload} and all its messages?"))
    await pilot.pause()
    label = app.screen.query_one(Label)
    assert shown(label.visual) == literal(f"Delete the folder {payload} and all its messages?")
    assert not has_actions(label.visual)
    await pilot.click(Label)
    await pilot.pause()
    while len(app.screen_stack) > 1:
        app.pop_screen()
    await pilot.pause()


# Several payloads in one app (starting one costs more than checking a payload): the
# random ones and the fixed examples, as many as one app per payload checked before.
@settings(SETTINGS, max_examples=3)
@given(st.lists(payloads, min_size=1, max_size=4))
@example([CLICK, "[link='x]a.pdf", "[/]", "\x1b]0;pwned\x07x"])
async def test_toasts_dialogs_folder_tree_and_status_show_payloads_literally(batch):
    app = Stage()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        for payload in batch:
            await _shown_literally_everywhere(app, pilot, payload)
    assert app.actions_run == []


class ListAndReader(App[None]):
    def compose(self):
        yield MessageList(id="messages", now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
        yield ReaderPane(id="reader")


@SETTINGS
@given(payloads)
@example(CLICK)
@example("[link='x]a.pdf")
@example("\x1b]0;pwned\x07x")
async def test_subjects_senders_bodies_and_attachment_names_show_literally(payload):
    app = ListAndReader()
    async with app.run_test(size=(160, 30)) as pilot:
        row = MessageRow(
            1, "acct", "INBOX", 1, datetime(2026, 3, 2, 9, 0, tzinfo=UTC), payload, payload
        )
        lst = app.query_one(MessageList)
        lst.set_source(ListSource([row]))
        await pilot.pause()
        line = "".join(segment.text for segment in lst.render_line(0))
        assert literal(payload)[:10] in line and "\x1b" not in line and "\x07" not in line
        reader = app.query_one(ReaderPane)
        reader.show_message(
            ReaderView(
                headers=[("Subject", payload), ("From", payload)],
                blocks=[ReaderBlock("text", f"body {payload}"), ReaderBlock("quote", payload)],
                links=[],
                attachments=[ReaderAttachment(1, payload, "application/pdf", 3)],
            )
        )
        await pilot.pause()
        texts = [w.visual for w in reader.query(Static)]
        joined = "\n".join(shown(t) for t in texts)
        assert f"Subject: {literal(payload)}" in joined
        assert f"body {literal(payload)}" in joined
        assert f"1. {literal(payload)} (application/pdf" in joined
        assert not any(has_actions(t) for t in texts)
        await pilot.click(ReaderPane)
