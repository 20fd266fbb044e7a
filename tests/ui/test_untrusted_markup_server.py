"""Markup payloads that come from the bundled server are shown literally, run nothing.

Subjects, sender names and attachment names (the toast after saving), folder names (the
folder tree, the move picker, the "Moved to" toast, the rename and delete dialogs) and a
server's reply (an [ALERT] in the draft toast) each carry `[@click=...]`, `[link=...]`,
`[/]` or ESC/OSC sequences.
"""

from __future__ import annotations

from email.message import EmailMessage

from textual.widgets import Input, Label, OptionList

from tests.ui.helpers import make_app, ready, settle, wait_for
from tests.ui.markup_payloads import CLICK, has_actions, literal, shown
from tuimail.ui.screens.dialogs import ConfirmDialog, FolderPicker, InputDialog
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane

SUBJECT = "[b]Invoice[/b] [link='x]due [/] \x1b]0;pwned\x07 [ALERT]"
SENDER_NAME = "[@click=app.bell()]Mallory[/]"
NAMES = [CLICK, "[link='x]a.pdf", "[/]b.txt"]
# The server's delimiter is "/" and "." splits the shown label: `[/]` itself is covered
# by the widget tests (test_untrusted_markup.py).
FOLDERS = ["[b]Work", "[link='x]a", "[@click=bell]F", "a]]][[[b", "Evil\x1b]0;x\x07"]


def _payload_message() -> bytes:
    msg = EmailMessage()
    msg["From"] = f'"{SENDER_NAME}" <mallory@example.test>'
    msg["To"] = "user@example.test"
    msg["Subject"] = SUBJECT
    msg["Date"] = "Mon, 02 Mar 2026 10:00:00 +0000"
    msg["Message-ID"] = "<payload@example.test>"
    msg.set_content("hello [b]there[/b] [@click=app.quit()]x\n")
    for name in NAMES:
        msg.add_attachment(b"data\n", maintype="application", subtype="pdf", filename=name)
    return msg.as_bytes()


def _record_actions(app) -> list[str]:
    ran: list[str] = []
    app.action_screenshot = lambda *a: ran.append("screenshot")
    app.action_bell = lambda *a: ran.append("bell")
    return ran


def _toasts(app) -> list:
    return [n for n in app._notifications]


async def _answer(pilot, text: str) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InputDialog))
    pilot.app.screen.query_one(Input).value = text
    await pilot.press("enter")
    await settle(pilot)


async def test_subject_sender_and_attachment_names_from_the_server_show_literally(
    mail_server, tmp_path
):
    user = mail_server.new_user()
    mail_server.deliver(user, _payload_message())
    app = make_app(mail_server, user)
    ran = _record_actions(app)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await ready(pilot)
        lst = app.main.query_one(MessageList)
        await wait_for(pilot, lambda: lst.count == 1)
        row = "".join(seg.text for seg in lst.render_line(0))
        assert "[b]Invoice[/b] [link='x]due [/]" in row
        assert "\x1b" not in row and "\x07" not in row
        assert "[@click=app.bell" in row  # the sender's column is cut, literally

        await pilot.press("enter")
        reader = app.main.query_one(ReaderPane)
        await wait_for(pilot, lambda: reader.message_view is not None)
        await settle(pilot)
        texts = [shown(w.visual) for w in reader.query("Static")]
        joined = "\n".join(texts)
        assert literal(SUBJECT) in joined
        assert SENDER_NAME in joined
        assert "hello [b]there[/b] [@click=app.quit()]x" in joined
        for name in NAMES:
            assert name in joined

        await pilot.press("S")
        await _answer(pilot, str(tmp_path / "saved"))
        await wait_for(pilot, lambda: sum(t.message.startswith("Saved") for t in _toasts(app)) == 3)
        saved = [t for t in _toasts(app) if t.message.startswith("Saved")]
        assert all(t.markup is False for t in saved)
        assert any(CLICK in t.message for t in saved)
        assert any("[link='x]a.pdf" in t.message for t in saved)
        await pilot.pause()
        for toast in app.screen.query("Toast"):
            assert not has_actions(toast.render())
            await pilot.click(toast)
        await settle(pilot)
        assert app.is_running
    assert ran == []


async def test_folder_names_from_the_server_show_literally_in_tree_picker_toast_and_dialogs(
    mail_server,
):
    user = mail_server.new_user()
    mail_server.deliver(user, _payload_message())
    for name in FOLDERS:
        mail_server.store.create_folder(user.login, name)
    app = make_app(mail_server, user)
    ran = _record_actions(app)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await ready(pilot)
        tree = app.main.query_one(FolderTree)
        await wait_for(pilot, lambda: len(app.service.folder_names("test")) >= len(FOLDERS) + 1)
        await settle(pilot)
        labels = [shown(node.label) for node in tree._folder_nodes.values()]
        for name in FOLDERS:
            assert any(literal(name) in label for label in labels), (name, labels)
        assert not any("\x1b" in label for label in labels)

        # the move picker lists them literally; moving says so literally
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, FolderPicker))
        options = app.screen.query_one(OptionList)
        prompts = [
            shown(options.get_option_at_index(i).prompt) for i in range(options.option_count)
        ]
        for name in FOLDERS:
            assert literal(name) in prompts
        app.screen.query_one(Input).value = "[b]Work"
        await pilot.pause()
        index = next(
            i for i in range(options.option_count) if options.get_option_at_index(i).id == "[b]Work"
        )
        options.highlighted = index
        await pilot.press("enter")
        await wait_for(
            pilot, lambda: any(t.message.startswith("Moved to [b]Work") for t in _toasts(app))
        )
        assert all(t.markup is False for t in _toasts(app))

        # rename and delete dialogs name the folder literally, sanitised
        evil = FOLDERS[-1]
        app.open_folder("test", evil)
        await settle(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, InputDialog))
        prompt = shown(app.screen.query_one(Label).visual)
        assert prompt == f"Rename {literal(evil)} to:" and "\x1b" not in prompt
        await pilot.press("escape")
        await settle(pilot)
        tree.move_cursor(tree._folder_nodes[("test", "[link='x]a")])  # D: the highlighted one
        await settle(pilot)
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        question = app.screen.query_one(Label)
        assert "the folder “[link='x]a” and" in shown(question.visual)
        await pilot.click(Label)
        await pilot.press("n")
        await settle(pilot)
        assert app.is_running
    assert ran == []


async def test_a_server_reply_with_alert_and_markup_shows_literally_in_the_toast(mail_server):
    user = mail_server.new_user()
    reply = "[ALERT] Over quota [/] [@click=app.screenshot('x.svg','.')]here"
    app = make_app(mail_server, user)
    ran = _record_actions(app)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        mail_server.faults.add(protocol="imap", kind="fail_append", message=reply)
        try:
            from tuimail.core.service import Draft

            app.save_draft(Draft(account="test", to="bob@example.test", subject="s", body="b"))
            await wait_for(
                pilot,
                lambda: any("Draft saved" in t.message for t in _toasts(app)),
                timeout=30,
            )
        finally:
            mail_server.faults.clear()
        toast = next(t for t in _toasts(app) if "Draft saved" in t.message)
        assert toast.markup is False
        assert "[ALERT] Over quota [/]" in toast.message
        await pilot.pause()
        for widget in app.screen.query("Toast"):
            assert "[ALERT]" in shown(widget.render())
            await pilot.click(widget)
        await settle(pilot)
    assert ran == []


async def test_folder_names_in_the_command_palette_show_literally_and_open(mail_server):
    from textual.command import CommandInput, CommandPalette

    user = mail_server.new_user()
    names = ["[ALERT] Quota", "[$accent]x", "a\\[b]"]
    for name in names:
        mail_server.store.create_folder(user.login, name)
    app = make_app(mail_server, user)
    ran = _record_actions(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await wait_for(pilot, lambda: "[ALERT] Quota" in app.service.folder_names("test"))
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        app.screen.query_one(CommandInput).value = "Open folder"  # one search, not eleven
        options = app.screen.query_one(OptionList)

        def prompts() -> list[str]:
            return [
                shown(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            ]

        await wait_for(pilot, lambda: all(any(n in p for p in prompts()) for n in names))
        index = next(i for i, p in enumerate(prompts()) if "[ALERT] Quota" in p)
        options.highlighted = index
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.folder == "[ALERT] Quota")
        assert app.sub_title == "test — [ALERT] Quota"
    assert ran == []


async def test_a_login_refusal_with_alert_shows_literally_in_the_status_bar(mail_server):
    """The refusal's sentence is longer than the bar's line: the bar says "login refused"
    and the sentence, the server's words in it, is its tooltip and a note (plain text)."""
    from tuimail.ui.widgets.status import StatusBar

    user = mail_server.new_user()
    mail_server.faults.add(
        protocol="imap",
        kind="login_reply",
        message="[ALERT] Application-specific password required [/]",
    )
    app = make_app(mail_server, user)
    async with app.run_test(size=(160, 30), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.synced, timeout=30)
        status = app.main.query_one(StatusBar)
        await wait_for(pilot, lambda: "[ALERT]" in shown(status.tooltip or ""), timeout=30)
        assert "Application-specific password required [/]" in shown(status.tooltip)
        assert "login refused" in shown(status.visual)
        said = [
            t for t in _toasts(app) if "Application-specific password required [/]" in t.message
        ]
        assert said and all(t.markup is False for t in _toasts(app))
