"""Latency figures that used to be asserted inside tests (speed is measured here, never in a
test): IDLE push on the bundled server, start-up of `python -m testserver --seed demo`, and
filling 100,000 messages with `--bulk`.

    python bench/bench_push.py [--runs 5]

Prints the median and worst of each.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
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
