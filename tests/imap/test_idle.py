"""IDLE push over real sockets: latency, renewal, drops, polling."""

from __future__ import annotations

import threading
import time

from tests.imap.helpers import Recorder, account_for, is_idle, message, tmp_store
from tuimail.core.imap.idle import AccountWatcher, NewMail, WatchState
from tuimail.core.imap.session import connector


def _watcher(peer, user, tmp_path, **options):
    account = account_for(peer, user, **options)
    store = tmp_store(tmp_path)
    watcher = AccountWatcher(
        store,
        account,
        connector(account, user.password, timeout=5),
        backoff_start=0.1,
        backoff_max=1.0,
    )
    recorder = Recorder()
    watcher.subscribe(recorder)
    return watcher, recorder, store


def test_mail_delivered_by_smtp_is_pushed_by_idle(mail_server, tmp_path) -> None:
    """The new message arrives by IDLE push (its latency is measured in bench/bench_push.py)."""
    user = mail_server.new_user()
    mail_server.deliver(user, message(1, "old"))
    watcher, recorder, store = _watcher(mail_server, user, tmp_path)
    watcher.start()
    try:
        first = recorder.wait_for(lambda e: isinstance(e, NewMail))
        assert [r.subject for r in first.messages] == ["old 1"]
        recorder.wait_for(is_idle)
        _send(mail_server, user, message(2, "pushed"))
        event = recorder.wait_for(lambda e: isinstance(e, NewMail), timeout=5)
        assert [r.subject for r in event.messages] == ["pushed 2"]
        assert store.count_messages(store.folder_id("test", "INBOX")) == 2
    finally:
        watcher.stop()


def _send(mail_server, user, raw: bytes) -> float:
    """By SMTP when the bundled server has it, else as its MDA would; returns the
    monotonic time the message was handed over (after the SMTP session is set up)."""
    if "smtp" in mail_server.protocols:
        import smtplib

        from tuimail.core.tls import client_context

        with smtplib.SMTP_SSL(
            mail_server.host,
            mail_server.ports.smtp_tls,
            context=client_context(mail_server.ca_file),
            timeout=10,
        ) as smtp:
            smtp.login(user.login, user.password)
            started = time.monotonic()
            smtp.sendmail(user.email, [user.email], raw)
            return started
    started = time.monotonic()
    mail_server.deliver(user, raw)
    return started


def test_drop_mid_idle_reconnects_and_reports_each_message_once(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    watcher, recorder, store = _watcher(mail_server, user, tmp_path)
    mail_server.faults.add(protocol="imap", kind="drop", command="IDLE", times=1)
    delivered = threading.Event()

    def deliver_while_down(event: WatchState) -> None:
        if event.state == "disconnected" and not delivered.is_set():
            delivered.set()
            mail_server.deliver(user, message(1, "while down"))

    recorder.on_state = deliver_while_down
    watcher.start()
    try:
        recorder.wait_for(is_idle)
        assert delivered.is_set() and "disconnected" in recorder.states
        mail_server.deliver(user, message(2, "after"))
        recorder.wait_for(
            lambda e: isinstance(e, NewMail) and any(r.subject == "after 2" for r in e.messages)
        )
    finally:
        watcher.stop()
    assert sorted(recorder.new) == ["after 2", "while down 1"]
    assert store.count_messages(store.folder_id("test", "INBOX")) == 2


def test_idle_is_renewed_and_servers_without_idle_are_polled(mail_server, tmp_path) -> None:
    user = mail_server.new_user()
    watcher, recorder, _ = _watcher(mail_server, user, tmp_path, idle_renew_seconds=1)
    watcher.start()
    try:
        recorder.wait_for(is_idle)
        recorder.wait_for(is_idle, timeout=5)  # DONE, NOOP, IDLE again
        mail_server.deliver(user, message(1, "renewed"))
        recorder.wait_for(lambda e: isinstance(e, NewMail))
    finally:
        watcher.stop()
    assert recorder.states[-1] == "stopped"

    other = mail_server.new_user()
    mail_server.faults.add(protocol="imap", kind="no_capability", data=b"IDLE")
    watcher, recorder, _ = _watcher(mail_server, other, tmp_path / "poll", poll_interval=0.2)
    watcher.start()
    try:
        recorder.wait_for(lambda e: isinstance(e, WatchState) and e.state == "polling")
        mail_server.deliver(other, message(2, "polled"))
        event = recorder.wait_for(lambda e: isinstance(e, NewMail))
        assert [r.subject for r in event.messages] == ["polled 2"]
    finally:
        watcher.stop()


def test_watch_inbox_and_the_open_folder_on_both_beds(mail_peer, tmp_path) -> None:
    user = mail_peer.new_user()
    watcher, recorder, store = _watcher(mail_peer, user, tmp_path)
    watcher.start()
    try:
        recorder.wait_for(is_idle)
        watcher.watch_open_folder("Archive")
        recorder.wait_for(lambda e: is_idle(e) and e.folder == "Archive")
        mail_peer.deliver(user, message(1, "to inbox"))
        mail_peer.deliver(user, message(2, "to archive"), folder="Archive")
        recorder.wait_for(lambda e: len(recorder.new) == 2)
    finally:
        watcher.stop()
    assert sorted(recorder.new) == ["to archive 2", "to inbox 1"]
