"""`tuimail mailto:...` and `tuimail compose --to ...` open the app on a filled-in composer;
a link can set recipients, subject and body, never another header."""

from __future__ import annotations

from textual.widgets import TextArea

from tests.ui.helpers import make_app, ready, wait_for
from tuimail.__main__ import build_parser, sendmail_argv
from tuimail.cli.compose import start_from_args
from tuimail.core.mailto import parse_mailto
from tuimail.ui.screens.composer import ComposerScreen


def test_a_mailto_link_is_the_compose_command() -> None:
    parser = build_parser()
    argv = sendmail_argv(parser, ["mailto:bob@example.org?subject=hi"])
    assert argv == ["compose", "mailto:bob@example.org?subject=hi"]
    args = parser.parse_args([*argv, "--cc", "carol@example.org", "--body", "line 1\nline 2"])
    start = start_from_args(args)
    assert start.to == ["bob@example.org"] and start.cc == ["carol@example.org"]
    assert start.subject == "hi" and start.body == "line 1\nline 2"
    args = parser.parse_args(["compose", "--to", "a@example.org", "--subject", "x\r\nBcc: e@x"])
    assert start_from_args(args).subject == "x Bcc: e@x"


async def test_the_app_opens_on_the_composer_filled_from_the_link(mail_server) -> None:
    user = mail_server.new_user()
    start = parse_mailto(
        "mailto:bob@example.test?subject=Lunch%3F&body=Noon%20works.&from=evil@example.net"
    )
    app = make_app(mail_server, user)
    app._compose_start = start
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        screen = app.screen
        assert screen.query_one("#compose-to").value == "bob@example.test"
        assert screen.query_one("#compose-subject").value == "Lunch?"
        assert screen.query_one("#compose-body", TextArea).text.startswith("Noon works.\n")
        await ready(pilot)


async def test_a_link_asking_to_attach_a_file_attaches_nothing_and_says_so(
    mail_server, tmp_path
) -> None:
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY")
    user = mail_server.new_user()
    start = parse_mailto(
        f"mailto:bob@example.test?subject=hi&attachment={secret}&attach=file://{secret}"
        "&from=evil@example.net"
    )
    app = make_app(mail_server, user)
    app._compose_start = start
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        await wait_for(pilot, lambda: any("attach" in str(n.message) for n in app._notifications))
        (note,) = [str(n.message) for n in app._notifications if "link" in str(n.message)]
        assert "attachment, attach, from" in note and "no file is attached" in note, note
        assert app.screen.query_one("#compose-attach").value == ""
        await ready(pilot)


async def test_typing_jose_completes_to_jose_muller(mail_server) -> None:
    """The To field's completion: 'jose' offers 'José Müller <jose@...>' (accents folded),
    Right accepts it."""
    user = mail_server.new_user()
    jose = "=?utf-8?q?Jos=C3=A9_M=C3=BCller?= <jose@example.org>"
    mail_server.deliver(
        user,
        f"From: {jose}\r\nTo: {user.email}\r\nSubject: Hola\r\nMessage-ID: <j1@x>\r\n\r\nHi\r\n".encode(),
    )
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        field = app.screen.query_one("#compose-to")
        field.focus()
        for key in "jose":
            await pilot.press(key)
        await wait_for(pilot, lambda: field._suggestion == "José Müller <jose@example.org>")
        await pilot.press("right")
        assert field.value == "José Müller <jose@example.org>"


async def test_a_slow_address_book_command_never_stops_the_typing(mail_server, tmp_path):
    """address_book_command runs off the UI thread: while a slow one (an LDAP lookup, a
    hung script; stopped after 5 s) is still running, keys typed in To still arrive. The
    command here runs until the test, having typed, lets it go (run on the UI thread,
    the keys would wait for it, the test would never let it go, and it is stopped
    unfinished after 5 s)."""
    started, release, finished = (tmp_path / name for name in ("started", "release", "done"))
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    app.service.address_book_command = (
        f"sh -c 'touch {started}; while [ ! -e {release} ]; do sleep 0.05; done; "
        f"touch {finished}' sh %s"
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        field = app.screen.query_one("#compose-to")
        field.focus()
        await pilot.press("j", "o")
        await wait_for(pilot, started.exists)
        await pilot.press("s", "e")  # handled while the command runs
        assert field.value == "jose"
        release.touch()
        await wait_for(pilot, finished.exists)  # it was still running: the keys came first


def _runs(log) -> list[str]:
    """The lines the address_book_command wrote ("start VALUE", "end VALUE")."""
    return [line for line in log.read_text().split("\n") if line] if log.exists() else []


async def test_address_lookups_run_one_at_a_time_and_the_latest_wins(mail_server, tmp_path):
    """Typing a name while a slow address_book_command runs starts no second command
    alongside it: the values typed meanwhile wait, and only the latest is looked up."""
    log = tmp_path / "log"
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    app.service.address_book_command = (
        f"sh -c 'echo start $1 >> {log}; sleep 1; echo end $1 >> {log}' sh %s"
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ComposerScreen))
        field = app.screen.query_one("#compose-to")
        field.focus()
        await pilot.press(*"josephine")
        assert field.value == "josephine"
        await wait_for(pilot, lambda: len([r for r in _runs(log) if r.startswith("start")]) >= 2)
        lines = _runs(log)
        running = most = 0
        for line in lines:
            running += 1 if line.startswith("start") else -1
            most = max(most, running)
        assert most == 1, lines  # one command at a time
        starts = [r for r in lines if r.startswith("start")]
        assert starts == [f"start {starts[0].split()[1]}", "start josephine"], lines
