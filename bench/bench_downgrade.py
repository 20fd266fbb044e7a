"""Benchmark: a UTF-8 header block written in ASCII (utf8_headers.downgrade), the copy
sent to recipients without SMTPUTF8, at 1 MB and 10 MB, as CPU time (user+sys).

Usage: python bench/bench_downgrade.py [MEGABYTES ...]   (default: 1 10)
"""

from __future__ import annotations

import os
import sys
import time

from tuimail.core.mime.utf8_headers import downgrade


def shapes(size: int) -> dict[str, bytes]:
    def block(fields: str) -> bytes:
        return (fields + "\r\n\r\nbody\r\n").encode()

    return {
        "To of UTF-8 addresses": block(
            "To: " + ", ".join(f"Jörg {i} <jörg{i}@example.org>" for i in range(size // 30))
        ),
        "To of IDNA domains": block(
            "To: " + ", ".join(f"Bob {i} <bob{i}@bücher.example>" for i in range(size // 30))
        ),
        "Subject of words": block("Subject: " + "Grüße " * (size // 7)),
        "Subject of folded lines": block("Subject: ü" + "\r\n x" * (size // 4)),
        "small fields": block("\r\n".join(f"X-F{i}: Grüße {i}" for i in range(size // 20))),
        "unbalanced quote": block('To: "ü, ' + "a@b.example, " * (size // 13)),
    }


def cpu() -> float:
    times = os.times()
    return times.user + times.system


def main(sizes: list[int]) -> None:
    print(f"load average {os.getloadavg()[0]:.1f}")
    for megabytes in sizes:
        for name, raw in shapes(megabytes * 1_000_000).items():
            start = cpu()
            downgrade(raw)
            print(f"{megabytes:>3} MB  {name:<26} {cpu() - start:6.2f} s CPU", flush=True)
        time.sleep(0)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 10])
