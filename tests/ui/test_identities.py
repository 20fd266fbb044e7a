"""Identities in the app: a reply opens From the identity the message was sent to, with
its signature; the From choice lists every identity of every account, and choosing
another swaps the signature; the message leaves through the account's server as the
identity (From and envelope sender)."""

from __future__ import annotations

from textual.widgets import Select, TextArea

from tests.ui.helpers import NOW, account_for, open_composer, ready, wait_for
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.composer import ComposerScreen
from tuimail.ui.screens.main import MainScreen

WORK = "alice.work@example.test"


def _app(server, user, other=None) -> TuimailApp:
    account = account_for(server, user)
    account.signature = "Alice at home"
    account.extra["identities"] = [
        {"email": WORK, "name": "Alice at Work", "signature": "Alice, Team Lead"}
    ]
    accounts = {"test": account}
    passwords = {"test": Secret(user.password)}
    if other is not None:
        accounts["home"] = account_for(server, other, "home")
        passwords["home"] = Secret(other.password)
    service = MailService(accounts, password_for=lambda a: passwords[a.name], idle=False)
    return TuimailApp(service, now=NOW)


async def test_a_reply_is_from_the_identity_and_leaves_as_it(mail_server):
    user = mail_server.new_user()
    mail_server.deliver(
        user,
        (
            f"From: Bob <bob@elsewhere.example>\r\nTo: {WORK}\r\nSubject: Budget\r\n"
            "Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <budget@elsewhere.example>"
            "\r\n\r\nNumbers?\r\n"
        ).encode(),
    )
    app = _app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen), 20)
        screen = app.screen
        assert screen.query_one("#compose-from", Select).value == ("test", WORK)
        body = screen.query_one("#compose-body", TextArea)
        assert body.text.endswith("-- \nAlice, Team Lead\n") and "Alice at home" not in body.text
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: any(o[1] == "bob@elsewhere.example" for o in mail_server.outbound), 20
        )
    [(mail_from, _rcpt, raw)] = [o for o in mail_server.outbound if b"Budget" in o[2]]
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    assert mail_from == WORK
    assert f"From: Alice at Work <{WORK}>" in head and user.email not in head


async def test_the_from_choice_lists_every_identity_and_swaps_the_signature(mail_server):
    user, other = mail_server.new_user(), mail_server.new_user()
    app = _app(mail_server, user, other)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot)
        choice = screen.query_one("#compose-from", Select)
        values = [value for _label, value in screen.senders]
        assert values == [("test", user.email), ("test", WORK), ("home", other.email)]
        body = screen.query_one("#compose-body", TextArea)
        assert choice.value == ("test", user.email)
        assert body.text.endswith("-- \nAlice at home\n")
        choice.value = ("test", WORK)
        await wait_for(pilot, lambda: body.text.endswith("-- \nAlice, Team Lead\n"))
        assert "Alice at home" not in body.text
        choice.value = ("home", other.email)  # that account has no signature
        await wait_for(pilot, lambda: "-- \n" not in body.text)
        assert screen.collect().account == "home"


async def test_completion_never_offers_an_identity_of_ones_own(mail_server):
    user = mail_server.new_user()
    mail_server.deliver(
        user,
        (
            f"From: Alice at Work <{WORK}>\r\nTo: Carol <carol@elsewhere.example>\r\n"
            "Subject: Minutes\r\nMessage-ID: <minutes@example.test>\r\n\r\nAttached.\r\n"
        ).encode(),
    )
    app = _app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        service = app.service
        assert service.addresses("carol") == ["Carol <carol@elsewhere.example>"]
        assert not [a for a in service.addresses("alice") if WORK in a]


async def test_a_draft_keeps_its_identity_when_saved_and_reopened(mail_server):
    user = mail_server.new_user()
    app = _app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        screen = await open_composer(pilot)
        screen.query_one("#compose-from", Select).value = ("test", WORK)
        body = screen.query_one("#compose-body", TextArea)
        await wait_for(pilot, lambda: body.text.endswith("Team Lead\n"))
        screen.query_one("#compose-to").value = "bob@elsewhere.example"
        screen.query_one("#compose-subject").value = "Later"
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: len(mail_server.messages(user, "Drafts")) == 1, 20)
        [saved] = mail_server.messages(user, "Drafts")
        assert f"From: Alice at Work <{WORK}>".encode() in saved
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        app.open_folder("test", "Drafts")
        await wait_for(pilot, lambda: app.main.query_one("MessageList").count == 1, 20)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen), 20)
        assert app.screen.query_one("#compose-from", Select).value == ("test", WORK)
        assert app.screen.query_one("#compose-body", TextArea).text.endswith("Team Lead\n")


async def test_compose_from_an_identity_opens_written_as_it(mail_server):
    from tuimail.core.mailto import parse_mailto

    user = mail_server.new_user()
    start = parse_mailto("mailto:bob@elsewhere.example?subject=Hi&from=evil@example.net")
    assert start.sender == ""  # a link never chooses From
    start.sender = WORK.upper()  # as `tuimail compose --from` gives it
    app = _app(mail_server, user)
    app._compose_start = start
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen), 20)
        screen = app.screen
        assert screen.query_one("#compose-from", Select).value == ("test", WORK)
        assert screen.query_one("#compose-body", TextArea).text.endswith("Team Lead\n")
        await ready(pilot)
