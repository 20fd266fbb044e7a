"""A server's [ALERT] heard on connections other than sync's (the Sent copy after `tuimail
send`, ...) is shown to the user: sanitised, once, never dropped (RFC 3501 7.1)."""

from __future__ import annotations

import re

import pytest

from tests.hostile.conftest import TIMEOUT, account_add, save, save_pair
from tests.hostile.roundtrip_servers import RoundTripInbox
from tests.hostile.scripted import Conn, ImapScript, SmtpScript

pytestmark = pytest.mark.timeout(60)

ALERT = b"* OK [ALERT] Mailbox 97% full \x1b[2J[b]now[/b]\r\n"
GREETING = ALERT + b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n"
SHOWN = "Mailbox 97% full"

OUTGOING = b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nHello.\r\n"


class WithSent(ImapScript):
    """An IMAP server with a Sent folder (SPECIAL-USE) that takes APPENDs."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.appended: list[bytes] = []

    def cmd_list(self, conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b'* LIST () "/" INBOX\r\n* LIST (\\Sent) "/" Sent\r\n' + tag + b" OK done\r\n")

    def cmd_append(self, conn: Conn, tag: bytes, args: bytes) -> None:
        size = int(re.search(rb"\{(\d+)\+?\}$", args).group(1))
        if not args.endswith(b"+}"):
            conn.send(b"+ go ahead\r\n")
        self.appended.append(conn.file.read(size))
        conn.readline()
        conn.send(tag + b" OK [APPENDUID 7 9] done\r\n")


def test_an_alert_heard_while_saving_the_sent_copy_is_shown_by_send(
    scripted, cli, tmp_path
) -> None:
    """`tuimail send`'s Sent copy connection read the greeting's [ALERT] and dropped it."""
    path = tmp_path / "m.eml"
    path.write_bytes(OUTGOING)
    imap_script = WithSent(greeting=GREETING)
    with scripted(imap_script) as imap, scripted(SmtpScript()) as smtp:
        save_pair(imap, smtp)
        run = cli("send", str(path))
    assert run.code == 0, run.err
    assert len(imap_script.appended) == 1  # the copy was saved
    assert run.err.count(SHOWN) == 1, run.err
    assert "\x1b" not in run.err and "[b]now[/b]" in run.err  # sanitised, literal


def test_an_alert_heard_while_account_add_checks_the_login_is_shown(scripted, cli) -> None:
    """`tuimail account add` (and the wizard, `detect --verify`: the same login check)
    read the greeting's [ALERT] and dropped it."""
    with scripted(ImapScript(greeting=GREETING)) as imap, scripted(SmtpScript()) as smtp:
        run = account_add(cli, imap, smtp)
    assert run.code == 0, run.err
    shown = run.out + run.err
    assert shown.count(SHOWN) == 1, shown
    assert "\x1b" not in shown and "[b]now[/b]" in shown


def test_an_alert_heard_while_asking_where_to_sign_in_is_kept_to_show(scripted) -> None:
    """OAuth discovery (the wizard asks an OAuth-only server where to sign in) read the
    greeting's [ALERT] and dropped it; it is handed to the caller (the wizard logs it)."""
    from tuimail.core.account import ServerSettings
    from tuimail.core.oauth2.server_discovery import discover_from_imap

    heard: list[str] = []
    with scripted(ImapScript(greeting=GREETING)) as imap:
        found = discover_from_imap(
            ServerSettings(imap.host, imap.port, "tls"),
            ca_file=imap.ca_file,
            timeout=TIMEOUT,
            alerts=heard,
        )
    assert found is None  # it offers no OAUTHBEARER: nothing to learn
    assert len(heard) == 1 and heard[0].startswith(SHOWN) and "\x1b" not in heard[0], heard


def test_an_alert_heard_by_the_doctors_round_trip_is_shown_once(scripted, cli, nameserver) -> None:
    """The doctor's round trip waits on its own connection (SELECT INBOX, where servers
    warn about quota): its [ALERT]s were dropped. They are said as the server checks'
    are, and a text the login check heard already is not said again."""
    smtp_script = SmtpScript()
    script = RoundTripInbox(
        smtp_script, on_select=b"* OK [ALERT] Quota at 99%\r\n", greeting=GREETING
    )
    with scripted(script) as imap, scripted(smtp_script) as smtp:
        save_pair(imap, smtp)
        run = cli("doctor", "work", "--nameserver", nameserver, "--timeout", "2")
    assert "Traceback" not in run.out + run.err, run.err
    said = [line for line in run.out.splitlines() if "server alert:" in line]
    assert sum("Quota at 99%" in line for line in said) == 1, run.out
    assert sum(SHOWN in line for line in said) == 1, run.out  # the greeting's: once


def test_an_alert_heard_while_read_fetches_a_body_is_shown(scripted, cli) -> None:
    """`tuimail read` connects to fetch a body it does not have: that connection's
    [ALERT] was heard and never said."""
    with scripted(ImapScript(greeting=GREETING)) as server:
        save(server)
        synced = cli("sync", "work")
        read = cli("read", "1", "--account", "work")
    assert synced.code == 0 and synced.err.count(SHOWN) == 1, synced.err
    assert read.code == 0 and "Body of the message." in read.out, read.err
    assert read.err.count(SHOWN) == 1 and "\x1b" not in read.err, read.err
