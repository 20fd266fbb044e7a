"""The delivery report in the app: key i opens it for the current message, untrusted text
is shown literally (never markup), c runs tuimail's own DKIM check against the bundled
server's DNS, q goes back; the key is in help and the command palette."""

from __future__ import annotations

import asyncio

import aiosmtplib

from tests.ui.helpers import make_app, ready, settle, wait_for
from tests.ui.report_messages import ROUTED
from tuimail.core.tls import client_context
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.screens.report import ReportScreen


def _shown(app) -> str:
    return str(app.screen.query_one("#report").render())


async def test_key_i_shows_the_route_and_warnings_as_plain_text(mail_server) -> None:
    user = mail_server.new_user()
    mail_server.deliver(user, ROUTED)
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 50)) as pilot:
        await ready(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen))
        text = _shown(app)
        assert "10.0.0.5 [203.0.113.5] → out.shop.example␛" in text  # ESC made visible
        assert "+1 h 1 min" in text and "waited 1 h 1 min" in text
        assert "DMARC pass" in text and "'quarantine'" in text
        assert "header.from=[@click=app.quit" in text  # literal, not an action
        assert "claim of an earlier server, not verified" in text
        assert "PayPal [b]Support[/b]" in text and "Replies go to elsewhere.example" in text
        assert "\x1b" not in text
        title = app.sub_title
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running
        assert title == app.sub_title == "test — INBOX"  # the folder, not "Delivery report"


async def test_c_checks_the_dkim_signature_through_the_accounts_dns(mail_server) -> None:
    sender, user = mail_server.new_user(), mail_server.new_user()
    raw = (
        f"From: {sender.email}\r\nTo: {user.email}\r\nSubject: signed\r\n"
        "Message-ID: <s@example.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nHi.\r\n"
    ).encode()

    async def submit() -> None:
        client = aiosmtplib.SMTP(
            hostname=mail_server.host,
            port=mail_server.ports.smtp_tls,
            use_tls=True,
            tls_context=client_context(mail_server.ca_file),
        )
        await client.connect()
        await client.login(sender.login, sender.password)
        await client.sendmail(sender.email, [user.email], raw)
        await client.quit()

    await submit()
    app = make_app(mail_server, user)
    app.doctor_options["nameserver"] = f"127.0.0.1:{mail_server.dns_port}"
    async with app.run_test(size=(120, 50)) as pilot:
        await ready(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen))
        assert "own DKIM check" not in _shown(app)
        await pilot.press("c")
        await wait_for(pilot, lambda: "own DKIM check" in _shown(app), timeout=30)
        text = _shown(app)
        assert (
            "example.test (selector test): pass: the signature is valid: signed parts"
            " unchanged (your provider said pass: agrees)"
        ) in text
        assert ("test._domainkey.example.test", "TXT") in mail_server.dns.queries
        await asyncio.sleep(0)


async def test_the_report_key_is_in_help_and_the_palette(mail_server) -> None:
    user = mail_server.new_user()
    app = make_app(mail_server, user, sync=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert ("i", "Delivery report", "delivery_report") in app.help_rows()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Delivery report" in titles


async def test_i_in_an_empty_folder_does_nothing(mail_server) -> None:
    user = mail_server.new_user()
    app = make_app(mail_server, user)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen) and app.is_running
