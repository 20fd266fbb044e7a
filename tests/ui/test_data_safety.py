"""Pilot tests, issue 16 "nothing lost": delete for ever only after a question, forward
carries the attachments, folder delete acts on the highlighted folder and never on INBOX
or a special folder, mark all read asks and can be undone, drafts reopen and leave Drafts
when sent, recipients are checked before sending, and keys typed in a burst act on the
messages they were typed on. All against the bundled server, certificates verified."""

from __future__ import annotations

import email
import email.policy
from functools import partial

from textual.widgets import Input, TextArea

from tests.ui.helpers import (
    account_for,
    ready,
    running,
    seed,
    settle,
    started,
    wait_for,
)
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService, ServiceError
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.dialogs import ConfirmDialog
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.widgets.folder_tree import FolderTree
from tuimail.ui.widgets.message_list import MessageList
from tuimail.words.describe import describe

REPORT = "Quarterly report draft"  # the demo sample with report.txt (b"Q1 figures\n")


def _list(app) -> MessageList:
    return app.main.query_one(MessageList)


async def _select(pilot, subject: str) -> None:
    lst = _list(pilot.app)
    for index in range(lst.count):
        if lst.row_at(index).subject == subject:
            lst.move_cursor(index)
            await pilot.pause()
            return
    raise AssertionError(f"{subject!r} is not in the list")


async def _composer(pilot) -> ComposerScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ComposerScreen), timeout=20)
    await pilot.pause()
    return pilot.app.screen


def _field(screen, name: str) -> Input:
    return screen.query_one(f"#compose-{name}", Input)


def _parts(raw: bytes) -> list:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return list(msg.iter_attachments())


def _submissions(server, subject: bytes) -> list:
    return [s for s in server.protocol_server("smtp").accepted if subject in s.raw]


async def test_d_in_trash_asks_first_and_never_offers_an_undo(mail_server):
    async with started(mail_server, 2) as (pilot, app, user, notes):
        await pilot.press("d")  # from INBOX: to Trash, undoable, no question
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Trash")) == 1, timeout=20)
        assert isinstance(app.screen, MainScreen)
        await wait_for(pilot, lambda: "Deleted (u to undo)" in notes)
        app.open_folder("test", "Trash")
        await settle(pilot)
        assert _list(app).count == 1
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "for ever" in app.screen.question
        await pilot.press("n")  # no: nothing happens
        await settle(pilot)
        assert len(mail_server.messages(user, "Trash")) == 1 and _list(app).count == 1
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: not mail_server.messages(user, "Trash"), timeout=20)
        await wait_for(pilot, lambda: "Deleted for ever." in notes)
        assert notes.count("Deleted (u to undo)") == 1  # only the move to Trash said so
        assert _list(app).count == 0


async def test_forward_carries_the_attachments_byte_for_byte(mail_server):
    user, bob = mail_server.new_user(), mail_server.new_user()
    async with started(mail_server, user=user) as (pilot, app, _user, _notes):
        await _select(pilot, REPORT)
        await pilot.press("f")
        screen = await _composer(pilot)
        assert _field(screen, "attach").value == "report.txt"  # shown in Attach
        _field(screen, "to").value = bob.email
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=30)
    (sent,) = _submissions(mail_server, b"Fwd: Quarterly report draft")
    (part,) = _parts(sent.raw)
    assert part.get_filename() == "report.txt"
    assert part.get_content_type() == "text/plain"
    assert part.get_payload(decode=True) == b"Q1 figures\n"


async def test_forward_as_attachment_sends_the_whole_message_as_rfc822(mail_server):
    user, bob = mail_server.new_user(), mail_server.new_user()
    async with started(mail_server, user=user) as (pilot, app, _user, _notes):
        await _select(pilot, REPORT)
        original = app.service.raw(_list(app).current)
        await pilot.press("F")
        screen = await _composer(pilot)
        assert _field(screen, "attach").value == "Quarterly report draft.eml"
        assert _field(screen, "subject").value == "Fwd: Quarterly report draft"
        _field(screen, "to").value = bob.email
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=30)
    (sent,) = _submissions(mail_server, b"Fwd: Quarterly report draft")
    (part,) = _parts(sent.raw)
    assert part.get_content_type() == "message/rfc822"
    inner = part.get_content()
    assert inner["Message-ID"] == email.message_from_bytes(original)["Message-ID"]
    (report,) = list(inner.iter_attachments())
    assert report.get_payload(decode=True) == b"Q1 figures\n"


async def test_D_deletes_the_highlighted_folder_and_never_a_special_one(mail_server):
    user = mail_server.new_user()
    mail_server.store.create_folder(user.login, "Old")
    names = lambda: {f.name for f in mail_server.store.folders(user.login)}  # noqa: E731
    async with started(mail_server, 2, user=user) as (pilot, app, _user, notes):
        assert (app.account, app.folder) == ("test", "INBOX")
        tree = app.main.query_one(FolderTree)
        await pilot.press("tab")  # into the folder tree
        for special in ("INBOX", "Sent", "Trash", "Drafts", "Archive"):
            tree.move_cursor(tree._folder_nodes[("test", special)])
            await pilot.press("D")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)  # not even offered
            assert f"The folder {special} cannot be deleted." in notes
        tree.move_cursor(tree._folder_nodes[("test", "Old")])  # highlighted, INBOX is open
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Old" in app.screen.question
        await pilot.press("y")
        await wait_for(pilot, lambda: "Old" not in names(), timeout=20)
        assert {"INBOX", "Sent", "Trash"} <= names()
        assert len(mail_server.messages(user)) == 2
        assert (app.account, app.folder) == ("test", "INBOX")
    service = app.service
    try:
        service.delete_folder("test", "INBOX")
    except ServiceError as exc:
        assert (exc.reason, exc.data) == ("folder-kept", {"name": "INBOX"})
        assert describe(exc) == "The folder INBOX cannot be deleted."
    else:
        raise AssertionError("INBOX was offered for deletion")


async def test_mark_all_read_asks_and_u_undoes_it(mail_server):
    user = mail_server.new_user()
    seen = lambda: sum("\\Seen" in m.flags for m in mail_server.store.messages(user.login))  # noqa: E731
    # narrow: no preview marks anything
    async with started(mail_server, 4, size=(90, 30), user=user) as (pilot, app, _user, notes):
        assert seen() == 0
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "4 unread" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert seen() == 0
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: seen() == 4, timeout=20)
        await pilot.press("u")
        await wait_for(pilot, lambda: seen() == 0, timeout=20)
        await wait_for(pilot, lambda: "Undone: marked 4 messages read" in notes)
        lst = _list(app)
        await wait_for(pilot, lambda: not any(lst.row_at(i).seen for i in range(lst.count)))


async def test_a_saved_draft_reopens_with_everything_and_leaves_drafts_when_sent(
    mail_server, tmp_path
):
    user, bob = mail_server.new_user(), mail_server.new_user()
    notes_file = tmp_path / "notes.bin"
    notes_file.write_bytes(b"\x00binary\xffdata\n")
    async with started(mail_server, 1, user=user) as (pilot, app, _user, _notes):
        await pilot.press("c")
        screen = await _composer(pilot)
        _field(screen, "to").value = bob.email
        _field(screen, "cc").value = "Carol <carol@example.test>"
        _field(screen, "subject").value = "Unfinished plan"
        _field(screen, "attach").value = str(notes_file)
        screen.query_one("#compose-body", TextArea).text = "Step one.\nStep two.\n"
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Drafts")) == 1, timeout=20)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        notes_file.unlink()  # the draft has its own copy of the attachment
        app.open_folder("test", "Drafts")
        await settle(pilot)
        await wait_for(pilot, lambda: _list(app).count == 1)
        await pilot.press("enter")
        screen = await _composer(pilot)
        assert _field(screen, "to").value == bob.email
        assert _field(screen, "cc").value == "Carol <carol@example.test>"
        assert _field(screen, "subject").value == "Unfinished plan"
        assert _field(screen, "attach").value == "notes.bin"
        assert "Step one.\nStep two." in screen.query_one("#compose-body", TextArea).text
        _field(screen, "cc").value = ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=30)
        await wait_for(pilot, lambda: not mail_server.messages(user, "Drafts"), timeout=20)
        await wait_for(pilot, lambda: _list(app).count == 0)
    (sent,) = _submissions(mail_server, b"Unfinished plan")
    (part,) = _parts(sent.raw)
    assert part.get_payload(decode=True) == b"\x00binary\xffdata\n"
    assert b"Step two." in sent.raw


async def test_e_in_drafts_opens_the_composer_and_saving_again_keeps_one_copy(mail_server):
    async with started(mail_server, 1) as (pilot, app, user, _notes):
        await pilot.press("c")
        screen = await _composer(pilot)
        _field(screen, "subject").value = "Draft one"
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Drafts")) == 1, timeout=20)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        app.open_folder("test", "Drafts")
        await wait_for(pilot, lambda: _list(app).count == 1)
        await pilot.press("e")
        screen = await _composer(pilot)
        assert _field(screen, "subject").value == "Draft one"
        _field(screen, "subject").value = "Draft one, revised"
        await pilot.press("ctrl+d")
        drafts = lambda: mail_server.messages(user, "Drafts")  # noqa: E731
        await wait_for(pilot, lambda: len(drafts()) == 1 and b"revised" in drafts()[0], 20)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_for(pilot, lambda: _list(app).count == 1, timeout=20)


async def test_every_recipient_is_checked_and_the_bad_one_named(mail_server):
    user, bob = mail_server.new_user(), mail_server.new_user()
    async with started(mail_server, 1, user=user) as (pilot, app, _user, notes):
        screen = await _open(pilot)
        _field(screen, "to").value = "bob"
        _field(screen, "subject").value = "Checked"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert any("Not an e-mail address in To: bob" in n for n in notes)
        assert _field(screen, "to").has_focus and app.screen is screen
        _field(screen, "to").value = bob.email
        _field(screen, "cc").value = "carol@"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert any("Not an e-mail address in Cc: carol@" in n for n in notes)
        assert _field(screen, "cc").has_focus and app.screen is screen
        _field(screen, "cc").value = ""
        _field(screen, "subject").value = ""
        await pilot.press("ctrl+s")  # an empty subject asks
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "without a subject" in app.screen.question
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen)
        assert _field(screen, "subject").has_focus
        assert mail_server.protocol_server("smtp").accepted == []  # nothing sent so far
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=30)
    (sent,) = mail_server.protocol_server("smtp").accepted
    assert sent.rcpt_tos == (bob.email,)
    service = app.service
    try:  # the service refuses too (the CLI and the palette go through it)
        from tuimail.core.service import Draft

        service.send(Draft(account="test", to="bob", subject="x"))
    except ServiceError as exc:
        assert (exc.reason, exc.data) == ("not-an-address", {"address": "bob"})
        assert describe(exc) == "Not an e-mail address: bob. Nothing was sent."
    else:
        raise AssertionError("an address without a domain was accepted")


async def _open(pilot) -> ComposerScreen:
    await pilot.press("c")
    return await _composer(pilot)


async def _burst(pilot, *keys: str) -> None:
    """Keys arriving together, as from a fast typist or a paste (pilot.press waits for
    the app to go idle after each key, which hides what a burst does)."""
    from textual import events

    for key in keys:
        event = events.Key(key, key)
        event.set_sender(pilot.app)
        pilot.app._driver.send_message(event)
    await pilot.pause()


async def test_s_a_s_typed_in_a_burst_acts_on_the_messages_typed_on(mail_server):
    async with started(mail_server, size=(90, 30)) as (pilot, app, user, _notes):
        lst = _list(app)
        first, second = lst.row_at(0), lst.row_at(1)
        await _burst(pilot, "s", "a", "s")  # one burst, no waiting in between
        # the list shows the archive at once: the archived row left INBOX
        assert lst.count == 5 and lst.current.id == second.id
        await settle(pilot)

        def on_server(folder: str) -> dict[str, set[str]]:
            return {
                m.raw.split(b"Subject: ")[1].split(b"\n")[0].strip().decode(): m.flags
                for m in mail_server.store.messages(user.login, folder)
            }

        await wait_for(pilot, lambda: first.subject in on_server("Archive"), timeout=20)
        await wait_for(pilot, lambda: "\\Flagged" in on_server("INBOX")[second.subject], 20)
        assert "\\Flagged" in on_server("Archive")[first.subject]
        flagged = [s for s, flags in on_server("INBOX").items() if "\\Flagged" in flags]
        assert flagged == [second.subject]
        assert app.last_error == ""
        assert lst.row_at(0).flagged and lst.row_at(0).id == second.id


async def test_a_new_message_has_the_signature(mail_server):
    user = mail_server.new_user()
    account = account_for(mail_server, user)
    account.signature = "Alice\nexample.test"
    service = MailService(
        {account.name: account}, password_for=lambda _a: Secret(user.password), idle=False
    )
    app = TuimailApp(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await _open(pilot)
        assert screen.query_one("#compose-body", TextArea).text == "\n\n-- \nAlice\nexample.test\n"
        assert _field(screen, "to").has_focus


async def test_text_back_from_the_editor_sets_the_headers_or_is_kept_when_unreadable(
    mail_server,
):
    async with running(mail_server, partial(seed, count=1)) as (pilot, notes):
        screen = await _open(pilot)
        _field(screen, "to").value = "bob@example.test"
        bad = "To: bob\nSubject: From the editor\n\nEdited text.\n"
        screen.apply_editor_text(bad)  # what the editor gave back
        await pilot.pause()
        assert any("not taken" in n and "bob" in n for n in notes)
        assert _field(screen, "to").value == "bob@example.test"  # unchanged
        assert screen._editor_text == bad  # kept: Ctrl+E opens it again, nothing lost
        good = "To: Bob <bob@example.test>\nCc: c@example.test\nSubject: From the editor\n\nOk.\n"
        screen.apply_editor_text(good)
        await pilot.pause()
        assert _field(screen, "to").value == "Bob <bob@example.test>"
        assert _field(screen, "cc").value == "c@example.test"
        assert _field(screen, "subject").value == "From the editor"
        assert screen.query_one("#compose-body", TextArea).text == "Ok.\n"
        assert screen._editor_text is None


async def test_a_reopened_reply_still_marks_the_original_answered(mail_server):
    user, bob = mail_server.new_user(), mail_server.new_user()
    answered = lambda: ["\\Answered" in m.flags for m in mail_server.store.messages(user.login)]  # noqa: E731
    async with started(mail_server, 1, user=user) as (pilot, app, _user, _notes):
        await pilot.press("r")
        screen = await _composer(pilot)
        _field(screen, "to").value = bob.email
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Drafts")) == 1, timeout=20)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        app.open_folder("test", "Drafts")
        await wait_for(pilot, lambda: _list(app).count == 1)
        await pilot.press("e")
        screen = await _composer(pilot)
        assert _field(screen, "subject").value.startswith("Re: ")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=30)
        await wait_for(pilot, lambda: answered() == [True], timeout=20)
        await wait_for(pilot, lambda: not mail_server.messages(user, "Drafts"), timeout=20)
