"""Latency figures that used to be asserted inside tests (speed is measured here, never in a
test): IDLE push on the bundled server, start-up of `python -m testserver --seed demo`, and
filling 100,000 messages with `--bulk`; and new mail in the app beside the private
Dovecot + Postfix (issue 19), see `newmail_dovecot`.

    python bench/bench_push.py [--runs 5]
    python bench/bench_push.py --dovecot 100000 [--runs 5]    # root; the interop bed

Prints the median and worst of each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def idle_push(runs: int) -> list[float]:
    from imapclient import IMAPClient

    from testserver.server import MailServer
    from tuimail.core.tls import client_context

    out = []
    with MailServer(protocols=("imap",)) as server:
        user = server.new_user()
        context = client_context(server.ca_file)
        with IMAPClient(
            server.host, port=server.ports.imap_tls, ssl_context=context, timeout=10
        ) as client:
            client.login(user.login, user.password)
            client.select_folder("INBOX")
            for i in range(runs):
                client.idle()
                started = time.monotonic()
                server.deliver(user, f"Subject: push {i}\r\n\r\nbody\r\n".encode())
                responses = client.idle_check(timeout=10)
                out.append(time.monotonic() - started)
                client.idle_done()
                assert any(r[1] == b"EXISTS" for r in responses if len(r) > 1)
    return out


def standalone_start(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "testserver", "--seed", "demo", "--json"],
            stdout=subprocess.PIPE,
            text=True,
        )
        proc.stdout.readline()
        out.append(time.monotonic() - started)
        proc.terminate()
        proc.wait(10)
    return out


def bulk_fill(runs: int, n: int = 100_000) -> list[float]:
    from testserver.server import MailServer

    out = []
    for _ in range(runs):
        started = time.monotonic()
        with MailServer(protocols=(), bulk=n):
            out.append(time.monotonic() - started)
    return out


# -- new mail in the app beside the private Dovecot + Postfix (issue 19) -------------------


def fill_dovecot_inbox(peer, user, n: int) -> None:
    """`n` messages (bench_vs.raw_message) written straight into the user's maildir (seen),
    then indexed by Dovecot: far quicker than APPEND for 100,000."""
    from bench.bench_vs import raw_message

    peer.deliver(user, raw_message(0))  # Dovecot makes the Maildir, owned by its user
    root = peer.folder_path(user)
    owner = root.stat()
    cur = root / "cur"
    stamp = int(time.time()) - n
    for i in range(1, n):
        path = cur / f"{stamp + i}.M{i}P1.bench:2,S"
        path.write_bytes(raw_message(i).replace(b"\r\n", b"\n"))
        os.chown(path, owner.st_uid, owner.st_gid)
    peer.doveadm("index", "-u", user.login, "INBOX")


def _observer(peer, user, seen: list[float], ready: threading.Event, stop: threading.Event):
    """Another client IDLEing on the same INBOX: when Dovecot announces each EXISTS."""
    from imapclient import IMAPClient

    from tuimail.core.tls import client_context

    client = IMAPClient(
        peer.host, port=peer.ports.imap_tls, ssl_context=client_context(peer.ca_file), timeout=30
    )
    client.login(user.login, user.password)
    client.select_folder("INBOX", readonly=True)
    while not stop.is_set():
        client.idle()
        ready.set()
        while not stop.is_set():
            responses = client.idle_check(timeout=0.2)
            if any(len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                seen.append(time.perf_counter())
                break
        client.idle_done()
    client.logout()


def _submit(peer, user, subject: str) -> float:
    """One message through Postfix (implicit TLS, AUTH); the time its DATA was accepted."""
    import smtplib
    from email.utils import format_datetime

    from tuimail.core.tls import client_context

    raw = (
        f"From: Pusher <pusher@example.test>\r\nTo: {user.email}\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\n"
        f"Message-ID: <{subject.replace(' ', '.')}@example.test>\r\n\r\nPushed.\r\n"
    )
    with smtplib.SMTP_SSL(
        peer.host, peer.ports.smtp_tls, context=client_context(peer.ca_file), timeout=30
    ) as smtp:
        smtp.login(user.login, user.password)
        smtp.sendmail("pusher@example.test", [user.email], raw.encode())
        return time.perf_counter()


class _Marks:
    """Times (perf_counter) and process CPU at each step of one delivery, by subject."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.exists: list[tuple[float, float]] = []  # tuimail's IDLE connection saw EXISTS
        self.event: dict[str, float] = {}  # the runtime emitted "new-mail"
        self.painted: dict[str, tuple[float, float]] = {}  # the list rendered the row

    def now(self) -> tuple[float, float]:
        return time.perf_counter(), time.process_time()


def _instrument(marks: _Marks, service) -> None:
    """Hooks (this benchmark only): tuimail's IDLE reads, the runtime's events, the
    message list's row rendering."""
    from tuimail.core.imap import idle
    from tuimail.ui.widgets.message_list import MessageList

    idle_responses = idle.idle_responses  # what the watcher reads IDLE's news with

    def timed_idle_responses(client, *args, **kwargs):
        responses = idle_responses(client, *args, **kwargs)
        if threading.current_thread().name.startswith("idle-") and any(
            isinstance(r, tuple) and len(r) > 1 and r[1] == b"EXISTS" for r in responses
        ):
            with marks.lock:
                marks.exists.append(marks.now())
        return responses

    idle.idle_responses = timed_idle_responses

    render_row = MessageList._render_row

    def timed_render_row(self, row, width, selected, tagged):
        strip = render_row(self, row, width, selected, tagged)
        subject = row.subject or ""
        if subject.startswith("pushed ") and subject not in marks.painted:
            marks.painted[subject] = marks.now()
        return strip

    MessageList._render_row = timed_render_row

    backend = service.backend("bench")
    emit = backend.emit

    def timed_emit(event):
        if event.kind == "new-mail":
            for row in event.messages:
                marks.event.setdefault(row.subject or "", time.perf_counter())
        emit(event)

    backend.emit = timed_emit


def newmail_dovecot(n: int, runs: int) -> None:
    """SMTP accepted by Postfix -> the row painted by the app (headless, run_test), with an
    INBOX of `n` messages synced beforehand; and the parts: Dovecot's own delay (another
    client's IDLE sees EXISTS), tuimail's part (its IDLE connection sees EXISTS -> the row
    rendered), with the process's CPU time for tuimail's part."""
    import asyncio
    import tempfile

    from tests.fixtures import realpeer_config
    from tests.fixtures.realpeer_bed import DovecotPeer
    from tuimail.core.account import Account, ServerSettings
    from tuimail.core.imap.session import connector
    from tuimail.core.imap.sync import SyncEngine
    from tuimail.core.secrets import Secret
    from tuimail.core.service import MailService
    from tuimail.core.store import Store

    home = tempfile.mkdtemp(prefix="tuimail-bench-push-")
    for var in ("CONFIG", "DATA", "CACHE", "STATE"):
        os.environ[f"XDG_{var}_HOME"] = os.path.join(home, var.lower())
    realpeer_config.QUOTA = "4G"  # the interop bed's 100 MB would refuse the new mail
    previous = os.umask(0o022)
    peer = DovecotPeer().start()
    os.umask(previous)
    try:
        user = peer.new_user()
        started = time.perf_counter()
        fill_dovecot_inbox(peer, user, n)
        print(f"INBOX of {n} written and indexed in {time.perf_counter() - started:.1f} s")
        account = Account(
            name="bench",
            email=user.email,
            username=user.login,
            incoming=ServerSettings(peer.host, peer.ports.imap_tls, "tls"),
            outgoing=ServerSettings(peer.host, peer.ports.smtp_tls, "tls"),
            ca_file=peer.ca_file,
        )
        store = Store(Path(home) / "store.sqlite3")
        started = time.perf_counter()
        engine = SyncEngine(store, account, connector(account, user.password, timeout=120))
        engine.sync()
        engine.close()
        print(f"synced into the store in {time.perf_counter() - started:.1f} s")
        rows = asyncio.run(_app_deliveries(peer, user, account, store, runs, Secret, MailService))
        store.close()
    finally:
        peer.stop()
        shutil.rmtree(home, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"new mail, INBOX of {n}, {runs} deliveries, load {load:.1f} (medians, worst)")
    for label, values in rows:
        print(
            f"  {label:<44} median {statistics.median(values) * 1000:6.0f} ms"
            f"  worst {max(values) * 1000:6.0f} ms"
        )


async def _app_deliveries(peer, user, account, store, runs, Secret, MailService):
    import asyncio

    from tuimail.ui.app import TuimailApp

    service = MailService(
        {"bench": account}, password_for=lambda a: Secret(user.password), store=store
    )
    marks = _Marks()
    _instrument(marks, service)
    seen: list[float] = []
    ready, stop = threading.Event(), threading.Event()
    observer = threading.Thread(
        target=_observer, args=(peer, user, seen, ready, stop), name="observer", daemon=True
    )
    observer.start()
    figures: dict[str, list[float]] = {}

    def add(label: str, value: float) -> None:
        figures.setdefault(label, []).append(value)

    app = TuimailApp(service)
    async with app.run_test(size=(160, 50)) as pilot:
        backend = service.backend("bench")
        deadline = time.monotonic() + 120
        while backend.state.state != "idle" or not ready.is_set():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app never went idle: {backend.state}")
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        for k in range(runs):
            subject = f"pushed {k}"
            before_seen, before_exists = len(seen), len(marks.exists)
            sent = await asyncio.to_thread(_submit, peer, user, subject)
            deadline = time.monotonic() + 60
            while subject not in marks.painted:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{subject} never painted: EXISTS at {marks.exists}, events "
                        f"{marks.event}, painted {list(marks.painted)}, state {backend.state}, "
                        f"errors {service.errors}"
                    )
                await asyncio.sleep(0.002)
            while len(seen) <= before_seen and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            painted, painted_cpu = marks.painted[subject]
            exists, exists_cpu = marks.exists[before_exists]
            add("SMTP accepted -> EXISTS (another client)", seen[before_seen] - sent)
            add("SMTP accepted -> EXISTS (tuimail's IDLE)", exists - sent)
            add("tuimail: EXISTS -> new-mail event", marks.event[subject] - exists)
            add("tuimail: EXISTS -> row painted", painted - exists)
            add("tuimail: EXISTS -> row painted, CPU", painted_cpu - exists_cpu)
            add("SMTP accepted -> row painted", painted - sent)
            await pilot.pause()
            await asyncio.sleep(1.5)
    stop.set()
    observer.join(5)
    return list(figures.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--dovecot",
        type=int,
        default=0,
        metavar="N",
        help="only the new-mail figures of the app on a private Dovecot INBOX of N messages",
    )
    args = parser.parse_args()
    if args.dovecot:
        newmail_dovecot(args.dovecot, args.runs)
        return
    for name, fn, runs in (
        ("IDLE push, delivery -> EXISTS", idle_push, args.runs),
        ("testserver --seed demo up", standalone_start, args.runs),
        ("--bulk 100000 filled", bulk_fill, max(1, args.runs // 2)),
    ):
        figures = fn(runs)
        print(
            f"{name:34} median {statistics.median(figures) * 1000:.1f} ms  worst {max(figures) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
