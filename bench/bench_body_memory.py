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


def _measure(operation) -> tuple[float, float]:
    """(MB added at peak by `operation()`, peak RSS MB)."""
    import gc

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    operation()
    peak = _status("VmHWM")
    return peak - before, peak


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
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=56)
    parser.add_argument("--only", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        added, peak = child(args.child[0], Path(args.child[1]))
        print(f"{added:.0f} {peak:.0f}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        files: dict[str, Path] = {}
        for name in args.only:
            for shape in SCENARIOS[name]:
                if shape not in files:
                    files[shape] = Path(tmp) / f"{shape}.eml"
                    files[shape].write_bytes(message(shape, args.size_mb << 20))
                out = subprocess.run(
                    [sys.executable, __file__, "--child", name, str(files[shape])],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()
                print(
                    f"{name:12} {args.size_mb} MB {shape:10}: +{out[0]:>4} MB at peak "
                    f"(process peak {out[1]} MB)"
                )


if __name__ == "__main__":
    main()
