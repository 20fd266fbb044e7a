"""Whole-process start costs (issue 19), beside mbsync and neomutt on one private Dovecot.

    python bench/bench_start.py                    # 10,000 messages, 5 rounds
    python bench/bench_start.py --messages 100000 --rounds 3

Needs root (the Dovecot bed of tests/fixtures/realpeer_bed.py, filled as bench_vs.py does);
mbsync (`isync`) and neomutt are run when installed. Each round runs every row's commands
one after the other so all see the same load; printed are medians and the ratio to the
reference (below 1.00x = tuimail uses less).

Rows:
  interpreter      `python -c pass`: the floor every Python command pays (with this
                   machine's site-packages .pth files)
  no-change sync   `mbsync -a` vs `tuimail sync`, nothing new; whole processes, CPU (user +
                   system) and peak RSS from GNU time
  first paint      neomutt with its header cache filled vs the app (`tuimail`), each in a
                   160x50 pty, from the process start to its list's rows appearing in the
                   terminal output; CPU (user + system, children included) read from /proc
                   at that moment (10 ms ticks), then the process is killed

With --ab TREE [--ab TREE ...], only the app's first paint is timed, for this tree and each
other checkout of tuimail given (e.g. `git worktree add /tmp/old <commit>`), one after the
other in every round (interleaved A/B: all see the same load); each tree has its own store,
synced by that tree, and its own bytecode cache.

On a loaded machine, `chrt -f 10 python bench/bench_start.py ...` (root) runs the bench's
processes before the others': `python -c pass` then takes what it takes on a quiet one.

With --imports, also prints the CPU time (not wall time, unlike `python -X importtime`) of
each module `tuimail sync` and the app import, to see what a start pays for.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_vs import Bed, timed  # noqa: E402

# Every list row of the bench mailbox says "about topic N" (bench_vs.raw_message).
ROW_TEXT = b"about topic"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Paint:
    wall: float
    cpu: float


def first_paint(
    argv: list[str], env: dict[str, str], marker: bytes = ROW_TEXT, cwd: Path | None = None
) -> Paint:
    """Start argv in a 160x50 pty (in `cwd`: `python -m` imports from there first); when
    `marker` first appears in what it writes, read its CPU time from /proc and kill it."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)
    seen = bytearray()
    try:
        deadline = started + 120
        while True:
            if time.perf_counter() > deadline or proc.poll() is not None:
                raise RuntimeError(
                    f"{argv} painted no list: {seen[-2000:].decode(errors='replace')}"
                )
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            seen += os.read(master, 65536)
            if marker in seen:
                wall = time.perf_counter() - started
                cpu = _cpu_seconds(proc.pid)
                return Paint(wall, cpu)
            del seen[: -len(marker) - 4096]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the session this function started
        proc.wait(30)
        _drain_close(master)


def _cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of a live process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / TICK


def _drain_close(fd: int) -> None:
    try:
        while select.select([fd], [], [], 0.05)[0] and os.read(fd, 65536):
            pass
    except OSError:
        pass
    os.close(fd)


def app_env(bed: Bed) -> dict[str, str]:
    env = bed._tuimail_env("headers", bodies=False, cold=False)
    env.update(TERM="xterm-256color", COLORTERM="truecolor")
    return env


def neomutt_env(bed: Bed) -> dict[str, str]:
    return dict(os.environ, TERM="xterm-256color", HOME=str(bed.dir))


def rounds(bed: Bed, n_rounds: int) -> list[str]:
    env = bed._tuimail_env("headers", bodies=False, cold=False)
    have_mbsync = shutil.which("mbsync") is not None
    have_neomutt = shutil.which("neomutt") is not None
    work: list[tuple[str, str, object, object]] = [
        ("interpreter", "-", None, lambda: timed([sys.executable, "-c", "pass"], env=env)),
        (
            "no-change sync",
            "mbsync",
            (lambda: bed.mbsync(cold=False)) if have_mbsync else None,
            lambda: bed.tuimail("sync", name="headers"),
        ),
        (
            "first paint",
            "neomutt",
            (
                lambda: first_paint(
                    ["neomutt", "-n", "-F", str(bed.muttrc)], neomutt_env(bed), b"about topic"
                )
            )
            if have_neomutt
            else None,
            lambda: first_paint([sys.executable, "-m", "tuimail"], app_env(bed)),
        ),
    ]
    for _label, _ref, ref_run, ours in work:  # warm-ups: caches, bytecode (not counted)
        if ref_run:
            ref_run()
        ours()
    results: dict[str, tuple[list, list]] = {w[0]: ([], []) for w in work}
    for _ in range(n_rounds):
        for label, _ref, ref_run, ours in work:
            if ref_run:
                results[label][0].append(ref_run())
            results[label][1].append(ours())
    lines = []
    for label, ref, _r, _o in work:
        a, b = results[label]
        lines.append(_line(bed.n, label, ref, a, b))
    return lines


def ab_rounds(bed: Bed, trees: list[Path], n_rounds: int) -> list[str]:
    """The app's first paint from each tree in turn, every round; medians per tree. Each
    runs in its own tree (`python -m tuimail` imports from the current directory first)."""
    envs = []
    for i, tree in enumerate(trees):
        env = bed._tuimail_env(f"ab{i}", bodies=False, cold=False)
        env.update(PYTHONPATH=str(tree), TERM="xterm-256color", COLORTERM="truecolor")
        env["PYTHONPYCACHEPREFIX"] = str(bed.dir / f"pycache-ab{i}")
        subprocess.run(
            [sys.executable, "-m", "tuimail", "sync"],
            env=env,
            cwd=tree,
            check=True,
            capture_output=True,
        )
        envs.append(env)
    argv = [sys.executable, "-m", "tuimail"]
    for env, tree in zip(envs, trees, strict=True):  # warm-ups: caches, bytecode
        first_paint(argv, env, cwd=tree)
    runs: list[list[Paint]] = [[] for _ in trees]
    for _ in range(n_rounds):
        for env, tree, got in zip(envs, trees, runs, strict=True):
            got.append(first_paint(argv, env, cwd=tree))
    lines = []
    for tree, got in zip(trees, runs, strict=True):
        walls = sorted(r.wall for r in got)
        cpus = sorted(r.cpu for r in got)
        lines.append(
            f"{tree}: first paint wall median {statistics.median(walls):.3f} s "
            f"(min {walls[0]:.3f}, max {walls[-1]:.3f}); CPU median "
            f"{statistics.median(cpus):.3f} s (min {cpus[0]:.3f}, max {cpus[-1]:.3f})"
        )
    return lines


def _line(n: int, label: str, ref: str, a: list, b: list) -> str:
    cells = [f"{n:>7} {label:<15} {ref:<8}"]
    for field, unit in (("wall", "s"), ("cpu", "s"), ("rss_mb", "MB")):
        y = _med(b, field)
        if y is None:
            continue
        x = _med(a, field)
        if x is None:
            cells.append(f"{'-':>7} {unit:<2} {y:7.3f} {unit:<2} {'':>6}")
        else:
            cells.append(f"{x:7.3f} {unit:<2} {y:7.3f} {unit:<2} {y / x if x else 0:5.2f}x")
    return " | ".join(cells)


def _med(runs: list, field: str) -> float | None:
    if not runs or not hasattr(runs[0], field):
        return None
    return statistics.median(getattr(r, field) for r in runs)


def import_profile(bed: Bed) -> None:
    """CPU time per module imported by `tuimail sync` and by the app's modules."""
    env = bed._tuimail_env("headers", bodies=False, cold=False)
    for title, code in (
        ("tuimail sync", "from tuimail.__main__ import main; main(['sync'])"),
        ("the app's modules", "import tuimail.cli.app, tuimail.core.service, tuimail.ui.app"),
    ):
        out = subprocess.run(
            [sys.executable, "-c", _PROFILER + code],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        print(f"\nimports of {title} (CPU ms, cumulative, >= 1 ms):")
        print(out.stderr.strip() or out.stdout.strip())


# Wraps every loader's exec_module to take the CPU time it spends, children included.
_PROFILER = """
import sys, time, atexit
import importlib.abc
_t, _stack, _rows = time.process_time, [], []
class _Timing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is None:
                continue
            run = getattr(spec.loader, "exec_module", None)
            if run is not None and not isinstance(spec.loader, type):
                def exec_module(module, run=run, name=name):
                    depth, start = len(_stack), _t()
                    _stack.append(name)
                    try:
                        run(module)
                    finally:
                        _stack.pop()
                        _rows.append((depth, name, _t() - start))
                try:
                    spec.loader.exec_module = exec_module
                except Exception:
                    pass
            return spec
        return None
sys.meta_path.insert(0, _Timing())
def _report():
    for depth, name, cpu in reversed(_rows):
        if cpu >= 0.001:
            print(f"{'  ' * depth}{cpu * 1000:6.1f} {name}", file=sys.stderr)
    print(f"process CPU {_t() * 1000:.0f} ms", file=sys.stderr)
atexit.register(_report)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--imports", action="store_true", help="also print import CPU times")
    parser.add_argument(
        "--ab",
        action="append",
        type=Path,
        default=[],
        metavar="TREE",
        help="time only the app's first paint, interleaved with this other checkout",
    )
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}; medians of {args.rounds} rounds")
    print(
        f"{'msgs':>7} {'work':<15} {'ref':<8} | {'wall: ref':>10} {'tuimail':>10} {'ratio':>6} | "
        f"{'CPU: ref':>10} {'tuimail':>10} {'ratio':>6} | {'RSS: ref':>10} {'tuimail':>10}"
    )
    bed = Bed(args.messages)
    try:
        if args.ab:
            for line in ab_rounds(bed, [REPO, *args.ab], args.rounds):
                print(line, flush=True)
        else:
            bed.tuimail("sync", name="headers")  # the store the app and no-change sync start from
            for line in rounds(bed, args.rounds):
                print(line, flush=True)
            if args.imports:
                import_profile(bed)
    finally:
        bed.close()
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
