"""Benchmark: the memory a very large message costs on each path that handles it whole.

Each scenario runs in a fresh child process. The child prepares its input (loaded from a
file written by the parent), then resets its peak RSS (Linux: `5` to /proc/self/clear_refs)
and runs the one operation; the figure is that peak less the RSS just before it, i.e.
what the operation added at worst on top of what it was given. RSS, not tracemalloc:
SQLite's and OpenSSL's C allocations count. Memory, not time: the load barely moves it.

Scenarios (names for --only):
  store-save      Store.save_body of a 56 MB message (stored, then indexed for search)
  store-sync      Store.save_bodies of it (a sync's download: stored, indexed later)
  index           Store.index_pending of it (the search indexer, later)
  seven-bit       seven_bit() of a 56 MB message with an 8-bit attachment (a server
                  without 8BITMIME), and of one with UTF-8 headers and a base64 attachment

Usage: python bench/bench_body_memory.py [--size-mb 56] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: the tree measured

from bench.bench_read_memory import message  # noqa: E402


def _status(field: str) -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1)) / 1024


def _measure(operation) -> tuple[float, float, float]:
    """(MB added at peak by `operation()`, peak RSS MB, CPU seconds)."""
    import gc
    import time

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    cpu = time.process_time()
    operation()
    cpu = time.process_time() - cpu
    peak = _status("VmHWM")
    return peak - before, peak, cpu


def shaped(shape: str, size: int) -> bytes:
    """bench_read_memory's shapes, and two for the 7-bit conversion: `8bit` (an 8-bit
    text and an 8-bit binary attachment of `size`), `utf8-head` (UTF-8 Subject, base64
    attachment)."""
    if shape == "8bit":
        line = bytes(range(128, 204)) + b"\r\n"
        return (
            b"From: a@example.test\r\nTo: b@example.test\r\nSubject: big\r\n"
            b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
            b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n--b1\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + line * (size // len(line))
            + b"\r\n--b1--\r\n"
        )
    if shape == "utf8-head":
        return message("attachment", size).replace(b"Subject: big", b"Subject: Gr\xc3\xbc\xc3\x9fe")
    return message(shape, size)


def _store_with_header(tmp: Path, raw: bytes):
    from tuimail.core.store import Store
    from tuimail.core.store.store import NewMessage

    store = Store(tmp / "s.db")
    folder = store.upsert_folder("big", "INBOX")
    header = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    (mid,) = store.add_messages(folder, [NewMessage(1, (), header, len(raw), 0.0)])
    return store, mid


def child(scenario: str, path: Path) -> tuple[float, float]:
    raw = path.read_bytes()
    tmp = Path(tempfile.mkdtemp(dir=path.parent))
    if scenario == "store-save":
        store, mid = _store_with_header(tmp, raw)
        return _measure(lambda: store.save_body(mid, raw))
    if scenario == "store-sync":
        store, mid = _store_with_header(tmp, raw)
        return _measure(lambda: store.save_bodies([(mid, raw)]))
    if scenario == "seven-bit":
        from tuimail.core.mime.seven_bit import seven_bit

        return _measure(lambda: seven_bit(raw))
    if scenario == "index":
        store, mid = _store_with_header(tmp, raw)
        store.save_bodies([(mid, raw)])
        del raw
        return _measure(store.index_pending)
    raise SystemExit(f"unknown scenario {scenario}")


SCENARIOS = {
    "store-save": ["attachment", "text"],
    "store-sync": ["attachment"],
    "index": ["attachment", "text"],
    "seven-bit": ["8bit", "utf8-head"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=56)
    parser.add_argument("--only", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        added, peak, cpu = child(args.child[0], Path(args.child[1]))
        print(f"{added:.0f} {peak:.0f} {cpu:.2f}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        files: dict[str, Path] = {}
        for name in args.only:
            for shape in SCENARIOS[name]:
                if shape not in files:
                    files[shape] = Path(tmp) / f"{shape}.eml"
                    files[shape].write_bytes(shaped(shape, args.size_mb << 20))
                out = subprocess.run(
                    [sys.executable, __file__, "--child", name, str(files[shape])],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                print(
                    f"{name:12} {args.size_mb} MB {shape:10}: +{out[0]:>4} MB at peak "
                    f"(process peak {out[1]} MB), CPU {out[2]} s"
                )


if __name__ == "__main__":
    main()
