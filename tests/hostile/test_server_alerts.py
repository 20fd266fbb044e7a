"""A server's [ALERT] (RFC 3501 7.1: its text "MUST be presented to the user") reaches the
user of `tuimail sync` (stderr; `--json`: "alerts"), from the greeting, an untagged OK at
any time, or a refused LOGIN; sanitised, shown literally (never markup), and once however
often the server repeats it."""

from __future__ import annotations

import json

import pytest

from tests.hostile.conftest import assert_clean_failure, save
from tests.hostile.idle_servers import GrowingInbox, watching
from tests.hostile.scripted import Conn, ImapScript
from tuimail.core import server_alerts

pytestmark = pytest.mark.timeout(60)

GREETING = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n"


def _greeting_with(alert: bytes, code: bytes = b"ALERT") -> bytes:
    return b"* OK [" + code + b"] " + alert + b"\r\n" + GREETING


# Response codes are case-insensitive (RFC 3501 9): a server may spell it so.
SPELLINGS = pytest.mark.parametrize("code", [b"ALERT", b"alert", b"Alert"])


def _select_with(*alerts: bytes):
    """An EXAMINE/SELECT answer with untagged ALERTs among its responses."""

    def answer(conn: Conn, tag: bytes, args: bytes) -> None:
        said = b"".join(b"* OK [ALERT] " + alert + b"\r\n" for alert in alerts)
        conn.send(
            b"* 1 EXISTS\r\n* 0 RECENT\r\n" + said + b"* OK [UIDVALIDITY 7] ok\r\n"
            b"* OK [UIDNEXT 2] ok\r\n* FLAGS (\\Seen)\r\n" + tag + b" OK [READ-ONLY] done\r\n"
        )

    return answer


def _said(err: str) -> list[str]:
    return [line for line in err.splitlines() if "the server says:" in line]


@SPELLINGS
def test_a_greeting_alert_is_shown_by_sync(scripted, cli, code) -> None:
    script = ImapScript(greeting=_greeting_with(b"Your mailbox is over quota", code))
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
    assert run.code == 0, run.err
    assert _said(run.err) == ["work: the server says: Your mailbox is over quota"], run.err


def test_an_alert_after_select_is_shown_by_sync_and_in_json(scripted, cli) -> None:
    answer = _select_with(b"Your password expires in 3 days")
    script = ImapScript({"EXAMINE": answer, "SELECT": answer})
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work", "--json")
    assert run.code == 0, run.err
    (result,) = json.loads(run.out)
    assert result["alerts"] == ["Your password expires in 3 days"]
    assert "the server says" not in run.err  # JSON carries it; nothing doubled on stderr


def test_an_alert_with_markup_and_escapes_is_shown_literally_and_sanitised(scripted, cli) -> None:
    nasty = b"[bold]quota[/] [@click=app.quit()]x[/] \x1b[31mred\x1b[0m \xc2\x9b2J end"
    answer = _select_with(nasty)
    script = ImapScript({"EXAMINE": answer, "SELECT": answer})
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
    assert run.code == 0, run.err
    (line,) = _said(run.err)
    assert "[bold]quota[/] [@click=app.quit()]x[/]" in line  # literally, not interpreted
    assert "\x1b" not in line and "\x9b" not in line
    assert "␛[31mred" in line and line.endswith(" end")


def test_a_flood_of_the_same_alert_is_shown_once(scripted, cli) -> None:
    answer = _select_with(*[b"Over quota"] * 200)
    script = ImapScript(
        {"EXAMINE": answer, "SELECT": answer}, greeting=_greeting_with(b"Over quota")
    )
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
    assert run.code == 0, run.err
    assert _said(run.err) == ["work: the server says: Over quota"], run.err


def test_a_flood_of_different_alerts_is_bounded(scripted, cli) -> None:
    answer = _select_with(*[b"alert number %d " % n + b"x" * 2000 for n in range(300)])
    script = ImapScript({"EXAMINE": answer, "SELECT": answer})
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
    assert run.code == 0, run.err
    said = _said(run.err)
    assert len(said) == server_alerts.MAX_PER_ACCOUNT, run.err
    assert said[0].startswith("work: the server says: alert number 0 xxx")
    assert all(len(line) < server_alerts.MAX_CHARS + 40 for line in said)


def test_an_alert_in_a_refused_login_reaches_the_sentence(scripted, cli) -> None:
    def refuse(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + b" NO [ALERT] Account suspended: call the help desk\r\n")

    script = ImapScript({"LOGIN": refuse})
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
        assert server.client_left()
    assert run.code != 0
    assert "Account suspended: call the help desk" in run.err, run.err
    assert "Traceback" not in run.err


def test_a_login_refused_with_an_alert_is_a_clean_failure(scripted, cli) -> None:
    """The same refusal as any refused login: one short sentence (the alert's words in
    it), never a second line saying it again."""

    def refuse(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + b" NO [ALERT] Account suspended\r\n")

    with scripted(ImapScript({"LOGIN": refuse})) as server:
        save(server)
        run = cli("sync", "work")
    error = assert_clean_failure(run)
    assert "Account suspended" in error, error
    assert _said(run.err) == []  # the sentence says it; not a second time


def test_an_alert_in_an_accepted_login_is_shown(scripted, cli) -> None:
    def accept(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(tag + b" OK [ALERT] Your password expires in 3 days\r\n")

    with scripted(ImapScript({"LOGIN": accept})) as server:
        save(server)
        run = cli("sync", "work")
    assert run.code == 0, run.err
    assert _said(run.err) == ["work: the server says: Your password expires in 3 days"]


def test_doctor_says_the_servers_alerts_as_a_warning(scripted, cli, nameserver) -> None:
    def accept(conn: Conn, tag: bytes, args: bytes) -> None:
        conn.send(b"* OK [ALERT] [b]Over quota[/b]\r\n" * 20 + tag + b" OK logged in\r\n")

    script = ImapScript({"LOGIN": accept}, greeting=_greeting_with(b"Maintenance at 22:00"))
    with scripted(script) as server:
        save(server)
        run = cli("doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", "3")
        as_json = cli(
            "doctor", "work", "--no-send", "--nameserver", nameserver, "--timeout", "3", "--json"
        )
    assert "Traceback" not in run.err + run.out
    lines = [line for line in run.out.splitlines() if "server alert:" in line]
    assert len(lines) == 2, run.out
    assert lines[0].startswith("  [WARNING] server alert: the server says: Maintenance at 22:00")
    assert "the server says: [b]Over quota[/b]" in lines[1]
    report = json.loads(as_json.out)
    assert report["alerts"] == ["Maintenance at 22:00", "[b]Over quota[/b]"]
    found = [c for c in report["checks"] if c["finding"] == "server-alert"]
    assert [c["data"]["text"] for c in found] == report["alerts"]


@SPELLINGS
def test_an_alert_inside_a_header_fetch_answer_is_shown(scripted, cli, code) -> None:
    """The header FETCH is read by tuimail.core.imap.fetchscan, not imaplib: an alert
    among its responses is heard all the same."""
    from tests.hostile.scripted import imap_fetch_line

    def fetch(conn: Conn, tag: bytes, args: bytes) -> None:
        if b"BODY.PEEK[HEADER" in args:
            alert = b"* OK [" + code + b"] Mailbox is 95% full\r\n"
            conn.send(alert + imap_fetch_line(1, 1) + alert + tag + b" OK done\r\n")
        else:
            ImapScript.cmd_uid_fetch(script, conn, tag, args)

    script = ImapScript({"UID FETCH": fetch})
    with scripted(script) as server:
        save(server)
        run = cli("sync", "work")
        listed = cli("list", "work")
    assert run.code == 0, run.err
    assert "hello" in listed.out  # the message was read around the alerts
    assert _said(run.err) == ["work: the server says: Mailbox is 95% full"], run.err


class _AlertDuringIdle(GrowingInbox):
    """Says an alert while IDLE is under way (and again on every IDLE)."""

    def cmd_idle(self, conn: Conn, tag: bytes, args: bytes) -> None:
        self.count_idle()
        conn.send(b"+ idling\r\n* OK [ALERT] Maintenance tonight at 22:00\r\n")
        if conn.readline().upper() == b"DONE":
            conn.send(tag + b" OK idle done\r\n")


def test_an_alert_during_idle_is_heard(scripted, tmp_path) -> None:
    from tests.service.helpers import wait_for
    from tuimail.core.store import Store

    server_alerts.forget("work")
    taken: list[str] = []
    with watching(scripted, _AlertDuringIdle(), Store(tmp_path / "s.sqlite3")):
        assert wait_for(lambda: taken.extend(server_alerts.take("work")) or taken, timeout=20)
    taken.extend(server_alerts.take("work"))  # said on every IDLE: kept once
    assert taken == ["Maintenance tonight at 22:00"]
    server_alerts.forget("work")


def test_watch_says_an_alert_during_idle_once(scripted) -> None:
    import subprocess
    import sys

    from tests.process import interrupt

    script = _AlertDuringIdle()
    with scripted(script) as server:
        save(server)
        proc = subprocess.Popen(
            [sys.executable, "-m", "tuimail", "watch", "work", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            events = [json.loads(proc.stdout.readline()) for _ in range(2)]
        finally:
            interrupt(proc)
        assert server.client_left()
    alerts = [e for e in events if e["event"] == "alert"]
    assert alerts == [
        {"event": "alert", "account": "work", "text": "Maintenance tonight at 22:00"}
    ], events


def test_an_alert_injected_before_starttls_is_never_shown(mail_server, cli) -> None:
    """Bytes before the STARTTLS answer are anyone's on the path (nothing received before
    TLS is kept): an [ALERT] among them is not the server's and is not shown."""
    from tests.hostile.conftest import save_starttls

    mail_server.faults.add(
        protocol="imap",
        kind="inject_before_starttls",
        port="starttls",
        data=b"* OK [ALERT] Your account is locked: visit http://evil.example\r\n",
    )
    save_starttls(mail_server, mail_server.new_user())
    run = cli("sync", "work")
    assert run.code == 0, run.err
    assert "evil" not in run.err + run.out


def test_a_watch_that_cannot_start_leaves_no_one_listening(scripted, cli, capsys) -> None:
    """`tuimail watch` whose password cannot be read ends in one sentence; its alert
    listener is gone with it: an alert heard later in the same process (the app, another
    command, a test) is not printed by a watch that is over."""
    import dataclasses

    from tuimail.core.config import save_account

    with scripted(ImapScript()) as server:
        account = save(server)
        save_account(dataclasses.replace(account, password_command="exit 3"))
        run = cli("watch", "work")
    assert run.code != 0 and "Traceback" not in run.err
    server_alerts.forget("work")
    server_alerts.heard("work", "Heard after the watch ended")
    server_alerts.forget("work")
    assert "the server says" not in capsys.readouterr().err
