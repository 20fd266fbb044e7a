"""Benchmark: header summaries per second (target >= 2,000 messages/s).

Usage: python bench/bench_summarize.py [corpus_dir]
Uses the shared real-mail corpus (../shared/corpus) plus generated typical messages.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tuimail.core.mime import summarize

ROOT = Path(__file__).resolve().parents[1]


def typical(i: int) -> bytes:
    return (
        f"Return-Path: <sender{i}@example.com>\r\n"
        f"Received: from mx{i}.example.com (mx{i}.example.com [192.0.2.{i % 250}])\r\n"
        f"\tby mail.example.org with ESMTPS id {i:08x}; Tue, 1 Jul 2025 10:52:37 +0200\r\n"
        f"From: =?utf-8?q?Sender_N=C3=B8_{i}?= <sender{i}@example.com>\r\n"
        f"To: You <you@example.org>, Other <other@example.org>\r\n"
        f"Subject: Re: [list] message number {i} =?utf-8?b?4pyT?=\r\n"
        f"Date: Tue, 1 Jul 2025 10:52:{i % 60:02d} +0200\r\n"
        f"Message-ID: <{i}@example.com>\r\nIn-Reply-To: <{i - 1}@example.com>\r\n"
        f"References: <0@example.com> <{i - 1}@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
    ).encode()


def rate(messages: list[bytes], rounds: int = 3) -> float:
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for raw in messages:
            summarize(raw)
        best = max(best, len(messages) / (time.perf_counter() - start))
    return best


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus"
    real = [p.read_bytes() for p in sorted(corpus.glob("*.eml"))]
    generated = [typical(i) for i in range(5000)]
    if real:
        print(f"real corpus ({len(real)} msgs):   {rate(real * 4):8.0f} messages/s")
    print(f"typical generated (5000): {rate(generated):8.0f} messages/s  (target >= 2000)")


if __name__ == "__main__":
    main()
