"""Loop-lag probe: the longest event-loop stall of the app while it switches between two
folders of 100,000 messages, while new mail arrives in one of them, while a message is
opened and closed again (q), the list sorted another way and searched, and new mail with
threads on: new threads, then replies joining threads already shown (issue 19: target
< 33 ms, two frames at 60 Hz).

    python bench/bench_looplag.py [--messages 100000] [--rounds 10] [--profile search]

A probe task sleeps 2 ms at a time on the app's loop and records how late it wakes: that
lateness is how long the loop could not paint or read a key. Headless (run_test), the store
filled beforehand; new mail is written to the store and announced from another thread,
as the IDLE watcher does; opening, sorting (o) and searching (/) are typed keys. Prints
the median and the worst stall of each kind: wall, "unqueued" (wall less the time the
kernel kept the loop's thread waiting for a core: on a loaded machine, what is the app's
own doing, its GIL waits included) and the loop thread's CPU; and the CPU of the whole
app (every thread) per event. `--profile KIND` ("folder switch", "open message", "q back from reader",
"sort", "search", "new mail joining a thread") runs cProfile on the loop's thread around
each event of that kind and prints where its time went (the stall figures of that kind
then include the profiler's overhead).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_ui import account, fill
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService, ServiceEvent
from tuimail.core.store import NewMessage, Store
from tuimail.core.thread_list import ThreadSource
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.message_list import MessageList
from tuimail.ui.widgets.reader import ReaderPane

TICK = 0.002


class LagProbe:
    """Wakes every TICK on the loop; `window()` gives the worst stall since the last call:
    (wall lateness, CPU the loop's thread spent meanwhile, wall lateness less the time the
    kernel kept the loop's thread waiting for a core), and the CPU of the whole process
    (every thread) since the last call. On a shared machine the wall figure includes time
    the process was not scheduled at all; the loop CPU figure is the loop's own work,
    which is what a faster machine would still see; the unqueued figure is the loop's own
    work plus its waits for the GIL (a worker holding it) and for I/O, whatever the load
    (Linux: the run-queue wait of /proc/<pid>/task/<tid>/schedstat; without it, the wall
    figure again); the process CPU shows what workers did for the event."""

    def __init__(self) -> None:
        self.worst = (0.0, 0.0, 0.0)
        self.since = time.process_time()
        self._schedstat: int | None = None

    def _queued(self) -> float:
        """Seconds the loop's thread has waited on a run queue (0 if not known)."""
        if self._schedstat is None:
            try:
                path = f"/proc/self/task/{threading.get_native_id()}/schedstat"
                self._schedstat = os.open(path, os.O_RDONLY)
            except OSError:
                self._schedstat = -1
        if self._schedstat < 0:
            return 0.0
        return int(os.pread(self._schedstat, 128, 0).split()[1]) / 1e9

    async def run(self) -> None:
        while True:
            t, c, q = time.perf_counter(), time.thread_time(), self._queued()
            await asyncio.sleep(TICK)
            late = time.perf_counter() - t - TICK
            cpu = time.thread_time() - c
            unqueued = late - (self._queued() - q)
            worst = self.worst
            self.worst = (max(worst[0], late), max(worst[1], cpu), max(worst[2], unqueued))

    def window(self) -> tuple[float, float, float, float]:
        worst, self.worst = self.worst, (0.0, 0.0, 0.0)
        now, since, self.since = time.process_time(), self.since, time.process_time()
        return (*worst, now - since)


def fill_archive(store: Store, n: int) -> None:
    fid = store.upsert_folder("bench", "Archive", delimiter="/")
    fid = fid[0] if isinstance(fid, tuple) else fid
    for start in range(0, n, 5000):
        store.add_messages(
            fid,
            [
                NewMessage(
                    uid=i + 1,
                    flags=("\\Seen",),
                    header=(
                        f"From: Old {i % 311} <o{i % 311}@example.test>\r\n"
                        f"Subject: Archived {i}\r\nMessage-ID: <a{i}@example.test>\r\n"
                        "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n"
                    ).encode(),
                    size=2000,
                )
                for i in range(start, min(start + 5000, n))
            ],
        )


async def _listed(app: TuimailApp, count: int | None = None) -> None:
    """Until the list shows its rows (and `count` of them, if given)."""
    while True:
        lst = app.main.query_one(MessageList) if app.main is not None else None
        if lst is not None and lst.count and len(lst._strips) >= 10:
            if count is None or lst.count >= count:
                return
        await asyncio.sleep(0.001)


PROFILE = cProfile.Profile()
LONGEST: list = [0.0, None, ""]  # loop CPU, cProfile, what ran: the longest callback
_LONGEST_ON = False


@contextlib.contextmanager
def profiled(kind: str, wanted: str | None, longest: bool = False):
    """cProfile on (the loop's thread) while an event of the `wanted` kind runs; with
    `longest`, each loop callback on its own, keeping the longest one's profile."""
    global _LONGEST_ON
    if kind != wanted:
        yield
        return
    if longest:
        _LONGEST_ON = True
    else:
        PROFILE.enable()
    try:
        yield
    finally:
        _LONGEST_ON = False
        PROFILE.disable()


_handle_run = asyncio.events.Handle._run


def _timed_run(self: asyncio.events.Handle) -> None:
    """Handle._run, profiled on its own while `_LONGEST_ON` (--longest)."""
    if not _LONGEST_ON:
        return _handle_run(self)
    profile, start = cProfile.Profile(), time.thread_time()
    profile.enable()
    try:
        return _handle_run(self)
    finally:
        profile.disable()
        spent = time.thread_time() - start
        if spent > LONGEST[0]:
            LONGEST[:] = [spent, profile, repr(self)[:200]]


asyncio.events.Handle._run = _timed_run  # type: ignore[method-assign]


async def probe(
    store: Store, n: int, rounds: int, profile: str | None = None, longest: bool = False
) -> dict[str, list[tuple[float, float, float, float]]]:
    service = MailService(
        {"bench": account()}, password_for=lambda a: Secret("x"), idle=False, store=store
    )
    app = TuimailApp(service, start_sync=False)
    stalls: dict[str, list[tuple[float, float, float, float]]] = {
        "folder switch": [],
        "new mail": [],
        "open message": [],
        "q back from reader": [],
        "sort": [],
        "search": [],
        "new mail, threads on": [],
        "new mail joining a thread": [],
    }
    async with app.run_test(size=(160, 50)) as pilot:
        await _listed(app)
        await pilot.pause()
        lag = LagProbe()
        task = asyncio.create_task(lag.run())
        await asyncio.sleep(0.05)
        lag.window()
        for _ in range(rounds):
            for folder in ("Archive", "INBOX"):
                with profiled(longest=longest, kind="folder switch", wanted=profile):
                    app.open_folder("bench", folder)
                    await _listed(app)
                    await pilot.pause()
                    await asyncio.sleep(0.02)
                stalls["folder switch"].append(lag.window())
        inbox = store.folder_id("bench", "INBOX")
        for k in range(rounds):
            uid = n + 1 + k
            header = (
                f"From: New <new@example.test>\r\nSubject: New mail {k}\r\n"
                f"Message-ID: <new{k}@example.test>\r\n"
                "Date: Mon, 1 Jan 2030 10:00:00 +0000\r\n\r\n"
            ).encode()

            def arrive(uid: int = uid, header: bytes = header) -> None:  # the watcher's thread
                store.add_messages(inbox, [NewMessage(uid=uid, flags=(), header=header)])
                service._emit(ServiceEvent("messages", "bench", "INBOX"))
                service._emit(ServiceEvent("new-mail", "bench", "INBOX", count=1))

            thread = threading.Thread(target=arrive)
            thread.start()
            while thread.is_alive():
                await asyncio.sleep(0.001)
            await _listed(app, n + 1 + k)
            await pilot.pause()
            await asyncio.sleep(0.02)
            stalls["new mail"].append(lag.window())
        lst = app.main.query_one(MessageList)
        reader = app.main.query_one(ReaderPane)
        for k in range(rounds):  # open a message (its body is in the store), then back
            lst.move_cursor(rounds + k)  # below the new mail: the ones with bodies
            await pilot.pause()
            lag.window()
            with profiled(longest=longest, kind="open message", wanted=profile):
                await pilot.press("enter")
                while reader.message_view is None or lst.current.subject not in str(
                    reader.message_view.subject
                ):
                    await asyncio.sleep(0.001)
                await pilot.pause()
                await asyncio.sleep(0.02)
            stalls["open message"].append(lag.window())
            with profiled(longest=longest, kind="q back from reader", wanted=profile):
                await pilot.press("q")
                while not lst.has_focus:
                    await asyncio.sleep(0.001)
                await pilot.pause()
                await asyncio.sleep(0.02)
            stalls["q back from reader"].append(lag.window())
        for _ in range(rounds):  # o: date -> sender -> subject -> size -> date ...
            before = app.sort
            with profiled(longest=longest, kind="sort", wanted=profile):
                await pilot.press("o")
                while app.sort == before or lst.current is None or app._list_reads.busy:
                    await asyncio.sleep(0.001)
                await pilot.pause()
                await asyncio.sleep(0.02)
            stalls["sort"].append(lag.window())
        for k in range(rounds):  # /, a query, Enter; then back to the folder
            with profiled(longest=longest, kind="search", wanted=profile):
                await pilot.press("slash", *f"topic {k}", "enter")
                while not app.search_title:
                    await asyncio.sleep(0.001)
                await pilot.pause()
                await asyncio.sleep(0.02)
            stalls["search"].append(lag.window())
            await pilot.press("escape")
            while app.search_title or app._list_reads.busy:
                await asyncio.sleep(0.001)
            await pilot.pause()
            await asyncio.sleep(0.02)
            lag.window()

        async def new_mail(uid: int, header: bytes) -> None:
            """One message stored and announced off the loop (as a sync does); back once
            the list shows it and no tree is being rebuilt."""
            shown = lst.count

            def arrive() -> None:
                store.add_messages(inbox, [NewMessage(uid=uid, flags=(), header=header)])
                service._emit(ServiceEvent("messages", "bench", "INBOX"))

            thread = threading.Thread(target=arrive)
            thread.start()
            while thread.is_alive() or lst.count <= shown or lst.source.rebuilding:
                await asyncio.sleep(0.005)
            await pilot.pause()
            await asyncio.sleep(0.05)

        await pilot.press("t")  # threads on: new mail rebuilds the tree in a worker
        while not isinstance(lst.source, ThreadSource) or app._list_reads.busy:
            await asyncio.sleep(0.01)
        await pilot.pause()
        await asyncio.sleep(0.2)
        lag.window()
        for k in range(rounds):
            uid = n + 1 + rounds + k
            header = (
                f"From: New <new@example.test>\r\nSubject: Threaded mail {k}\r\n"
                f"Message-ID: <t{k}@example.test>\r\n"  # each with a date of its own
                f"Date: Mon, 1 Jan 2030 11:{k // 60 % 60:02d}:{k % 60:02d} +0000\r\n\r\n"
            ).encode()
            await new_mail(uid, header)
            stalls["new mail, threads on"].append(lag.window())
        for k in range(rounds):  # replies to messages of threads further down the list
            uid = n + 1 + 2 * rounds + k
            parent = (n - 1 - 12 * (50 + 97 * k)) % n  # bench_ui.fill: threads of 12
            refs = " ".join(f"<m{i}@example.test>" for i in range(parent - parent % 12, parent + 1))
            header = (
                f"From: New <new@example.test>\r\nSubject: Re: Message number {parent}\r\n"
                f"Message-ID: <j{k}@example.test>\r\nIn-Reply-To: <m{parent}@example.test>\r\n"
                f"References: {refs}\r\n"
                f"Date: Mon, 1 Jan 2030 12:{k // 60 % 60:02d}:{k % 60:02d} +0000\r\n\r\n"
            ).encode()
            with profiled(longest=longest, kind="new mail joining a thread", wanted=profile):
                await new_mail(uid, header)
            stalls["new mail joining a thread"].append(lag.window())
        task.cancel()
    return stalls


def add_bodies(store: Store, count: int) -> None:
    """Bodies for the newest `count` of INBOX (opened without a server): a plain-text
    reply of ~4 KB with a quote, as mail usually is."""
    inbox = store.folder_id("bench", "INBOX")
    for row in store.message_rows(inbox, 0, count):
        text = "".join(f"Line {i} of the answer about the topic.\r\n" for i in range(40))
        quote = "".join(f"> quoted line {i} of the message before\r\n" for i in range(60))
        raw = (
            f"From: {row.from_name} <{row.from_addr}>\r\nTo: bench@example.test\r\n"
            f"Subject: {row.subject}\r\nMessage-ID: <{row.message_id}>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{text}\r\nOn Monday someone wrote:\r\n{quote}"
        ).encode()
        store.save_body(row.id, raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--profile",
        choices=(
            "folder switch",
            "open message",
            "q back from reader",
            "sort",
            "search",
            "new mail joining a thread",
        ),
        default=None,
    )
    parser.add_argument(
        "--longest",
        action="store_true",
        help="with --profile: only the single longest loop callback of that kind",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        fill(store, args.messages)
        fill_archive(store, args.messages)
        add_bodies(store, args.rounds)
        store.index_headers()  # as the app's runtime does after its first pass: steady state
        stalls = asyncio.run(probe(store, args.messages, args.rounds, args.profile, args.longest))
        store.close()
    print(f"longest event-loop stall per event, {args.messages} messages, target < 33 ms")
    for kind, values in stalls.items():
        for label, index in (("wall", 0), ("unqueued", 2), ("loop CPU", 1), ("app CPU", 3)):
            figures = [v[index] * 1000 for v in values]
            print(
                f"  {kind:<26} {label:<9} median {statistics.median(figures):4.0f} ms, "
                f"max {max(figures):4.0f} ms ({len(figures)} samples)"
            )
    print(
        "(wall, unqueued (wall less the loop's wait for a core), loop CPU: the longest"
        " stall; app CPU: all threads, the whole event)"
    )

    if args.profile and args.longest and LONGEST[1] is not None:
        print(f"\nthe longest loop callback during {args.profile}: {LONGEST[0] * 1000:.0f} ms")
        print(f"({LONGEST[2]})")
        stats = pstats.Stats(LONGEST[1])
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(25)
    elif args.profile:
        print(f"\nthe loop's thread during {args.profile} (cProfile, {args.rounds} events):")
        stats = pstats.Stats(PROFILE)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
