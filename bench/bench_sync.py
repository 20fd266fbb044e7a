"""Sync benchmark: first header sync, time to the newest 100, no-change re-sync, peak memory.

    python bench/bench_sync.py                 # 10,000 and 100,000 messages, bundled server
    python bench/bench_sync.py --sizes 10000
    python bench/bench_sync.py --dovecot       # the private Dovecot (root, as the tests)

The bundled server runs in a child process (filled with MailStore.bulk_append), so the
peak RSS printed is tuimail's alone. Each size runs in a fresh process.
Targets (issue 4): 10k first sync < 1.5 s, newest 100 < 0.3 s, re-sync < 0.1 s,
< 150 MB peak at 100k.

Measured on the shared 2-core box (load 3-7 from other work), 2026-11-22:

    server   messages  first sync  newest 100  re-sync   peak RSS
    bundled     10000     1.24 s     0.10 s    0.013 s    45 MB
    bundled    100000    12.8 s      0.06 s    0.016 s    45 MB
    dovecot     10000     1.06 s     0.07 s    0.038 s    51 MB
    dovecot    100000    10.7 s      0.52 s    0.27 s *  128 MB **

 *  right after the first sync Dovecot is still caching (its STATUS takes 0.25 s);
    steady state 0.06 s.
 ** includes the MULTIAPPEND fill made by this same process.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _raw(i: int) -> bytes:
    return (
        f"From: Sender {i % 97} <sender{i % 97}@example.test>\r\n"
        f"To: Reader <reader@example.test>\r\nCc: team{i % 7}@example.test\r\n"
        f"Subject: Benchmark message number {i} about topic {i % 31}\r\n"
        f"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <bench{i}@example.test>\r\n"
        f"References: <bench{max(i - 1, 1)}@example.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Some body text that nobody reads in a benchmark.\r\n"
        * 8
    ).encode()


def _serve(n: int, conn) -> None:
    from testserver.server import MailServer

    with MailServer(protocols=("imap",)) as server:
        user = server.new_user()
        start = datetime(2024, 1, 1, tzinfo=UTC)
        server.store.bulk_append(
            user.login,
            "INBOX",
            (
                (_raw(i), ["\\Seen"] if i % 3 else [], start + timedelta(minutes=i))
                for i in range(1, n + 1)
            ),
        )
        conn.send((server.host, server.ports.imap_tls, server.ca_file, user.login, user.password))
        conn.recv()  # until the parent is done


def _dovecot(n: int):
    """Start the private Dovecot, fill a user's INBOX by MULTIAPPEND, warm its index."""
    from imapclient import IMAPClient

    from tests.fixtures.realpeer_bed import DovecotPeer
    from tuimail.core.tls import client_context

    peer = DovecotPeer().start()
    user = peer.new_user()
    client = IMAPClient(
        peer.host, port=peer.ports.imap_tls, ssl_context=client_context(peer.ca_file)
    )
    client.login(user.login, user.password)
    for start in range(1, n + 1, 1000):
        client.multiappend("INBOX", [_raw(i) for i in range(start, min(start + 1000, n + 1))])
    client.select_folder("INBOX", readonly=True)
    client.fetch("1:*", ["UID", "FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])  # warm the cache
    client.logout()
    return peer, (peer.host, peer.ports.imap_tls, peer.ca_file, user.login, user.password)


def run_one(n: int, dovecot: bool = False) -> dict:
    from tuimail.core.account import Account, ServerSettings
    from tuimail.core.imap.session import connector
    from tuimail.core.imap.sync import SyncEngine
    from tuimail.core.store import Store

    peer = server = None
    if dovecot:
        peer, (host, port, ca_file, login, password) = _dovecot(n)
    else:
        parent, child = multiprocessing.Pipe()
        server = multiprocessing.get_context("fork").Process(
            target=_serve, args=(n, child), daemon=True
        )
        server.start()
        host, port, ca_file, login, password = parent.recv()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        account = Account(
            name="bench",
            email=login,
            incoming=ServerSettings(host, port, "tls"),
            outgoing=ServerSettings(host, port, "tls"),
            ca_file=ca_file,
        )
        store = Store(Path(tmp) / "store.sqlite3")
        newest: list[float] = []
        started = time.perf_counter()

        def progress(folder: str, done: int, total: int) -> None:
            if folder == "INBOX" and done >= 100 and not newest:
                newest.append(time.perf_counter() - started)

        engine = SyncEngine(store, account, connector(account, password), progress)
        first = engine.sync()
        first_seconds = time.perf_counter() - started
        assert not first.failures, first.failures
        assert store.count_messages(store.folder_id("bench", "INBOX")) == n
        t = time.perf_counter()
        again = engine.sync()
        resync = time.perf_counter() - t
        assert again.new == 0 and not again.failures
        t = time.perf_counter()
        rows = store.message_rows(store.folder_id("bench", "INBOX"), n // 2, 100)
        page = time.perf_counter() - t
        assert len(rows) == 100
        engine.close()
        store.close()
    if server is not None:
        parent.send("done")
        server.join(10)
    if peer is not None:
        peer.stop()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "server": "dovecot" if dovecot else "bundled",
        "messages": n,
        "first_sync_s": round(first_seconds, 3),
        "newest_100_s": round(newest[0], 3) if newest else None,
        "no_change_resync_s": round(resync, 4),
        "page_at_middle_s": round(page, 4),
        "peak_rss_mb": round(peak_mb, 1),
        "rss_before_sync_mb": round(rss_before / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--dovecot", action="store_true", help="against the private Dovecot")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.dovecot)))
        return
    print(
        f"{'server':>8} {'messages':>9} {'first sync':>11} {'newest 100':>11} {'re-sync':>9} {'page':>8} {'peak RSS':>9}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)]
            + (["--dovecot"] if args.dovecot else []),
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['server']:>8} {r['messages']:>9} {r['first_sync_s']:>9.3f} s {r['newest_100_s']:>9.3f} s "
            f"{r['no_change_resync_s']:>7.4f} s {r['page_at_middle_s']:>6.4f} s {r['peak_rss_mb']:>6.1f} MB"
        )


if __name__ == "__main__":
    main()
