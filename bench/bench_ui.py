"""UI benchmark: a folder of 100,000 messages in the local store.

1. Start-up to the first painted message list (target < 0.6 s): from constructing the
   app to the list widget having painted its visible rows (headless).
2. Key-press to repaint while scrolling (target < 30 ms): the key's action (cursor down,
   and page down, which needs a fresh page of rows from the store) plus rendering every
   visible line of the list, timed directly, without the pilot's per-key overhead.
3. The same folder threaded (t, issue 17): building the thread tree of every message
   (target < 1 s), then the same scrolling figures (target: as fast as the flat list).
   The messages form threads of 1-12 with References, so the tree has real depth.

    python3 bench/bench_ui.py [--messages 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tuimail.core.account import Account, ServerSettings
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import NewMessage, Store
from tuimail.core.thread_list import ThreadSource
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.message_list import MessageList

START = datetime(2026, 1, 1, tzinfo=UTC)


def fill(store: Store, n: int) -> None:
    store.account_id("bench", "bench@example.test")
    fid = store.upsert_folder("bench", "INBOX", delimiter="/", role="inbox")
    if isinstance(fid, tuple):  # tolerate either return shape
        fid = fid[0]
    if not isinstance(fid, int):
        fid = store.folder_id("bench", "INBOX")
    batch = []
    for i in range(n):
        first = i - i % 12  # threads of 12: each message answers the one before it
        refs = " ".join(f"<m{k}@example.test>" for k in range(max(first, i - 10), i))
        threading = f"In-Reply-To: <m{i - 1}@example.test>\r\nReferences: {refs}\r\n"
        header = (
            f"From: Sender {i % 997} <s{i % 997}@example.test>\r\n"
            f"To: bench@example.test\r\nSubject: Message number {i} about topic {i % 131}\r\n"
            f"Date: {format_datetime(START + timedelta(minutes=i))}\r\n"
            f"Message-ID: <m{i}@example.test>\r\n{threading if i != first else ''}\r\n"
        ).encode()
        batch.append(
            NewMessage(
                uid=i + 1, flags=("\\Seen",) if i % 3 else (), header=header, size=1000 + i % 5000
            )
        )
        if len(batch) == 5000:
            store.add_messages(fid, batch)
            batch = []
    if batch:
        store.add_messages(fid, batch)


def account() -> Account:
    # Never contacted: the app starts without syncing (port 9 = discard, not listening).
    return Account(
        name="bench",
        email="bench@example.test",
        incoming=ServerSettings("127.0.0.1", 9, "tls"),
        outgoing=ServerSettings("127.0.0.1", 9, "tls"),
    )


async def startup(store: Store) -> float:
    started = time.perf_counter()
    service = MailService(
        {"bench": account()}, password_for=lambda a: Secret("x"), idle=False, store=store
    )
    app = TuimailApp(service, start_sync=False)
    async with app.run_test(size=(160, 50)) as pilot:
        while True:
            main = app.main
            if main is not None:
                lst = main.query_one(MessageList)
                if lst.count and len(lst._strips) >= 10:
                    break
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - started
        await pilot.pause()
    return elapsed


async def scrolling(store: Store, threaded: bool = False) -> tuple[list[float], list[float]]:
    service = MailService(
        {"bench": account()}, password_for=lambda a: Secret("x"), idle=False, store=store
    )
    app = TuimailApp(service, start_sync=False)
    down, page = [], []
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        lst = app.main.query_one(MessageList)
        if threaded:
            t = time.perf_counter()
            await pilot.press("t")
            while not isinstance(lst.source, ThreadSource):
                await asyncio.sleep(0.005)
            print(
                f"threads on (t) to the tree shown: {time.perf_counter() - t:.2f} s for "
                f"{lst.count} rows (target < 1 s)"
            )
            await pilot.pause()
        height = lst.size.height

        def repaint() -> None:
            # What the compositor asks of the widget after the scroll: every visible line.
            lst.scroll_to(y=lst.scroll_target_y, animate=False, immediate=True)
            for y in range(height):
                lst.render_line(y)

        for _ in range(300):
            t = time.perf_counter()
            lst.action_cursor_down()
            repaint()
            down.append(time.perf_counter() - t)
        for _ in range(200):
            t = time.perf_counter()
            lst.action_page_down()
            repaint()
            page.append(time.perf_counter() - t)
        await pilot.pause()
    return down, page


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        t = time.perf_counter()
        fill(store, args.messages)
        print(f"store filled with {args.messages} messages in {time.perf_counter() - t:.1f} s")
        store.close()
        runs = []
        for _ in range(3):
            store = Store(Path(tmp) / "bench.sqlite3")
            runs.append(asyncio.run(startup(store)))
            store.close()
        print(
            f"start-up to first painted list: best {min(runs):.3f} s, "
            f"median {statistics.median(runs):.3f} s (target < 0.6 s)"
        )
        for threaded in (False, True):
            store = Store(Path(tmp) / "bench.sqlite3")
            if threaded:  # wall time depends on the machine's load; CPU time less so
                t, cpu = time.perf_counter(), time.process_time()
                ThreadSource(store, store.folder_id("bench", "INBOX"))
                print(
                    f"thread tree of the folder (query, JWZ, rows) built: "
                    f"{time.perf_counter() - t:.2f} s wall, {time.process_time() - cpu:.2f} s CPU"
                    " (target < 1 s)"
                )
            down, page = asyncio.run(scrolling(store, threaded))
            store.close()
            label = "threaded" if threaded else "flat"
            for name, values in (("cursor down", down), ("page down", page)):
                values = sorted(values)
                p95 = values[int(len(values) * 0.95)]
                print(
                    f"key-press to repaint, {label}, {name}: median "
                    f"{statistics.median(values) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"
                    " (target < 30 ms)"
                )


if __name__ == "__main__":
    main()
