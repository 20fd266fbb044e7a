"""The setup wizard for real-world accounts, against the bundled server: POP3, a login
name that is not the address, a self-signed server trusted by its fingerprint, the
confirmation unencrypted settings need, and failures told as sentences."""

from __future__ import annotations

import gc
import socket

from textual.widgets import Checkbox, Input, Select

from tests.ui.helpers import seed, settle, wait_for
from tests.ui.wizard_helpers import (
    SIZE,
    choose,
    detect,
    key_pin,
    log_of,
    manual,
    press,
    put,
    save,
    shown,
    text_of,
    verify,
    wizard_for,
)
from testserver.server import MailServer
from tuimail.core.config import load_config
from tuimail.core.discovery.pin import format_pin
from tuimail.ui.app import TuimailApp
from tuimail.ui.screens.wizard import TRUST_WARNING, WizardScreen
from tuimail.ui.widgets.message_list import MessageList


async def test_protocol_choice_sets_heading_and_default_ports(mail_server):
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        port = screen.query_one("#wiz-in-port", Input)
        assert "Incoming (IMAP)" in text_of(screen, "wiz-in-title")
        assert port.placeholder == "993"
        choose(screen, "protocol", "pop3")
        await wait_for(pilot, lambda: "Incoming (POP3)" in text_of(screen, "wiz-in-title"))
        assert port.placeholder == "995" and port.value == ""
        assert shown(screen, "wiz-leave")  # a POP3-only choice
        choose(screen, "in-sec", "starttls")
        await wait_for(pilot, lambda: port.placeholder == "110")
        # A port the user typed is theirs: changing the protocol does not touch it.
        port.value = "2110"
        choose(screen, "protocol", "imap")
        await wait_for(pilot, lambda: port.placeholder == "143")
        assert port.value == "2110"
        assert "Incoming (IMAP)" in text_of(screen, "wiz-in-title")
        assert not shown(screen, "wiz-leave")
        # An empty port means the default shown.
        port.value = ""
        put(screen, email="a@example.test", **{"in-host": "h", "out-host": "h"})
        assert screen.account().incoming.port == 143
        assert screen.account().outgoing.port == 587


async def test_pop3_account_detected_verified_and_saved(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 2)
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        put(screen, email=user.email, password=user.password)
        choose(screen, "protocol", "pop3")  # asked for before detection: it prefers POP3
        await pilot.pause()
        await detect(pilot, screen)
        assert screen.query_one("#wiz-protocol", Select).value == "pop3", log_of(screen)
        assert screen.query_one("#wiz-in-port", Input).value == str(mail_server.ports.pop3_tls)
        assert "Incoming (POP3)" in text_of(screen, "wiz-in-title")
        assert screen.verified, log_of(screen)
        assert "POP3 server" in log_of(screen)
        # The detected names resolve only through the test DNS: use the address.
        put(screen, **{"in-host": mail_server.host, "out-host": mail_server.host})
        await verify(pilot, screen)
        assert screen.verified, log_of(screen)
        choose(screen, "storage", "ask")
        await save(pilot, app)
        saved = next(iter(load_config().accounts.values()))
        assert saved.protocol == "pop3"
        assert (saved.incoming.port, saved.incoming.security) == (
            mail_server.ports.pop3_tls,
            "tls",
        )
        assert saved.leave_on_server is True
        await wait_for(pilot, lambda: app.synced, timeout=20)
        await settle(pilot)
        await wait_for(pilot, lambda: app.screen.query_one(MessageList).count == 2, timeout=20)
        assert len(mail_server.messages(user)) == 2  # left on the server


async def test_login_name_that_differs_from_the_address(mail_server):
    # The mailbox's address is an alias the server does not know as a login.
    mail_server.store.add_user("carol.login", "carol-pw-123", email="carol.box@example.test")
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert screen.query_one("#wiz-login", Input).placeholder == "same as the email address"
        put(screen, email="carol@example.test", password="carol-pw-123")
        await detect(pilot, screen)  # logs in as the address: refused
        assert not screen.verified
        assert "rejected the login for carol@example.test" in log_of(screen)
        put(screen, login="carol.login")
        await detect(pilot, screen)  # found, then verified with the login name
        await wait_for(pilot, lambda: screen.verified, timeout=20)
        assert "Logged in to the IMAP server" in log_of(screen)
        put(screen, **{"in-host": mail_server.host, "out-host": mail_server.host})
        await pilot.press("ctrl+s")  # the settings changed since: verify again first
        await wait_for(pilot, lambda: "verify it again" in log_of(screen))
        assert isinstance(app.screen, WizardScreen)
        await verify(pilot, screen)
        assert screen.verified, log_of(screen)
        choose(screen, "storage", "ask")
        await save(pilot, app)
        saved = next(iter(load_config().accounts.values()))
        assert (saved.email, saved.username, saved.login) == (
            "carol@example.test",
            "carol.login",
            "carol.login",
        )


async def test_self_signed_server_trusted_by_its_fingerprint(test_ca):
    with MailServer(ca=test_ca, cert="self_signed", protocols=("imap", "smtp")) as server:
        user = server.new_user()
        expected = key_pin(server)
        app = TuimailApp(None, wizard=wizard_for(server))
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            put(screen, email=user.email, password=user.password)
            await detect(pilot, screen)
            # Both servers are offered, with the key's fingerprint and the warning.
            for which in ("in", "out"):
                assert shown(screen, f"wiz-{which}-trustbox"), log_of(screen)
                cert = text_of(screen, f"wiz-{which}-cert")
                assert format_pin(expected) in cert and TRUST_WARNING in cert
            # Nothing is trusted until the user says so.
            assert not screen.verified and not screen.trusted
            press(screen, "in-trust")
            await wait_for(pilot, lambda: not shown(screen, "wiz-in-trustbox"))
            assert screen.query_one("#wiz-in-host", Input).value  # filled from the probe
            assert not screen.verified  # the outgoing one is still untrusted
            press(screen, "out-trust")
            await wait_for(pilot, lambda: screen.verified, timeout=20)
            # The pin is for that host and port only: the same server under its address
            # is not trusted, and is offered again.
            put(screen, **{"in-host": server.host, "out-host": server.host})
            await verify(pilot, screen)
            assert not screen.verified
            assert "self-signed" in log_of(screen)
            assert shown(screen, "wiz-in-trustbox") and shown(screen, "wiz-out-trustbox")
            assert screen.account().incoming.pinned_sha256 is None
            press(screen, "in-trust")
            await pilot.pause()
            press(screen, "out-trust")
            await wait_for(pilot, lambda: screen.verified, timeout=20)
            choose(screen, "storage", "ask")
            await save(pilot, app)
            saved = next(iter(load_config().accounts.values()))
            assert saved.incoming.pinned_sha256 == expected
            assert saved.outgoing.pinned_sha256 == expected
            assert (saved.incoming.host, saved.incoming.port) == (
                server.host,
                server.ports.imap_tls,
            )
    gc.collect()


async def test_unknown_issuer_found_by_detection_is_offered(mail_server):
    """A certificate from an authority the client does not know (here: the test CA is
    not given) is offered like a self-signed one, and works once trusted."""
    user = mail_server.new_user()
    plain_options = wizard_for(mail_server)().detect_options

    def without_ca():
        options = plain_options()
        options.ca_file = None
        return options

    app = TuimailApp(None, wizard=lambda: WizardScreen(detect_options=without_ca))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        put(screen, email=user.email, password=user.password)
        await detect(pilot, screen)
        assert "unknown authority" in log_of(screen)
        for which in ("in", "out"):
            assert shown(screen, f"wiz-{which}-trustbox"), log_of(screen)
            assert format_pin(key_pin(mail_server)) in text_of(screen, f"wiz-{which}-cert")
        assert not screen.verified
        press(screen, "in-trust")
        await pilot.pause()
        press(screen, "out-trust")
        await wait_for(pilot, lambda: screen.verified, timeout=20)
        account = screen.account()
        assert account.incoming.pinned_sha256 == key_pin(mail_server)
        assert account.ca_file is None


async def test_plain_needs_an_explicit_confirmation(mail_server):
    user = mail_server.new_user()
    # A submission port that takes passwords without TLS (as some old servers do).
    mail_server.faults.add(protocol="smtp", kind="no_starttls", port="starttls")
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        put(screen, email=user.email, password=user.password)
        manual(screen, mail_server)
        box = screen.query_one("#wiz-plain-ok", Checkbox)
        assert box.has_class("hidden")
        choose(screen, "out-sec", "plain")
        put(screen, **{"out-port": str(mail_server.ports.smtp_starttls)})
        await wait_for(pilot, lambda: "NOT ENCRYPTED" in text_of(screen, "wiz-out-badge"))
        assert screen.query_one("#wiz-out-badge").has_class("badge-plain")
        assert not box.has_class("hidden") and not box.value
        await verify(pilot, screen)
        assert "set to Unencrypted" in log_of(screen)
        assert "Logging in" not in log_of(screen)  # nothing was sent
        box.value = True
        await verify(pilot, screen)
        assert "Logging in" in log_of(screen)
        assert screen.verified, log_of(screen)
        # Back to encrypted and plain again: the confirmation is asked afresh.
        choose(screen, "out-sec", "starttls")
        await wait_for(pilot, lambda: box.has_class("hidden"))
        choose(screen, "out-sec", "plain")
        await wait_for(pilot, lambda: not box.has_class("hidden"))
        assert not box.value
        before = log_of(screen)
        await pilot.press("ctrl+s")  # refused with a line in the log: the form stays
        await wait_for(pilot, lambda: log_of(screen) != before)
        assert isinstance(app.screen, WizardScreen)


async def test_failures_are_sentences(mail_server, test_ca):
    user = mail_server.new_user()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    app = TuimailApp(None, wizard=wizard_for(mail_server))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        put(screen, email=user.email, password="wrong password")
        manual(screen, mail_server)
        await verify(pilot, screen)
        log = log_of(screen)
        assert "rejected the login for" in log and "check the user name and password" in log
        put(screen, password=user.password, **{"in-port": str(closed_port)})
        await verify(pilot, screen)
        log = log_of(screen)
        assert "the IMAP server 127.0.0.1: the mail server refused the connection" in log, log
        put(screen, **{"in-host": "nosuch.example.test", "in-port": ""})
        await verify(pilot, screen)
        log = log_of(screen)
        assert "Could not log in to the IMAP server nosuch.example.test: " in log, log
        assert "nosuch.example.test does not exist." in log, log
        put(screen, **{"in-host": mail_server.host})
        # Unencrypted IMAP on a server that refuses passwords without TLS.
        put(screen, **{"in-port": str(mail_server.ports.imap_starttls)})
        choose(screen, "in-sec", "plain")
        await pilot.pause()
        screen.query_one("#wiz-plain-ok", Checkbox).value = True
        await verify(pilot, screen)
        assert "does not accept a password on an unencrypted connection" in log_of(screen)
        assert not screen.verified
        assert "Traceback" not in log_of(screen)
    for kind, reason in (
        ("expired", "certificate has expired"),
        ("wrong_host", "certificate does not name this host"),
    ):
        with MailServer(ca=test_ca, cert=kind, protocols=("imap", "smtp")) as server:
            bad_user = server.new_user()
            app = TuimailApp(None, wizard=wizard_for(server))
            async with app.run_test(size=SIZE) as pilot:
                screen = app.screen
                put(screen, email=bad_user.email, password=bad_user.password)
                manual(screen, server)
                await verify(pilot, screen)
                log = log_of(screen)
                for what in ("IMAP", "SMTP"):
                    line = next(x for x in log.splitlines() if f"the {what} server" in x)
                    assert line.startswith("\u2717 login"), log
                    assert f"Could not log in to the {what} server 127.0.0.1: " in line, log
                    assert f"the server's {reason}" in line and line.endswith("."), log
                assert "Traceback" not in log and not screen.verified
                # No "trust" offer for a certificate that is wrong, not merely unvouched.
                assert not shown(screen, "wiz-in-trustbox")
        gc.collect()
