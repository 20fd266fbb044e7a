"""Benchmark: parse + render a 1 MB HTML newsletter-style message, and the corpus.

Usage: python bench/bench_render.py
"""

from __future__ import annotations

import time
from pathlib import Path

from tuimail.core.mime import parse_message, render_message

ROOT = Path(__file__).resolve().parents[1]

ROW = (
    '<tr><td style="padding:8px"><a href="https://news.example.com/story/{i}?utm_source=mail">'
    "Story number {i}: something happened</a><p>Lorem ipsum dolor sit amet, consectetur "
    "adipiscing elit, sed do eiusmod tempor <b>incididunt</b> ut labore et dolore magna aliqua."
    '</p><img src="https://cdn.example.com/{i}.png" alt="picture {i}"></td>'
    "<td><ul><li>one</li><li>two</li></ul></td></tr>\n"
)


def html_message(size: int = 1 << 20) -> bytes:
    rows = []
    total = 0
    i = 0
    while total < size:
        row = ROW.format(i=i)
        rows.append(row)
        total += len(row)
        i += 1
    html = (
        "<html><head><style>td{font-family:sans-serif}</style></head><body>"
        '<table width="600">' + "".join(rows) + "</table></body></html>"
    )
    head = (
        "From: News <news@example.com>\r\nTo: you@example.org\r\nSubject: Big newsletter\r\n"
        "Date: Tue, 01 Jul 2025 10:52:37 +0200\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n"
    )
    return (head + html).encode()


def timed(raw: bytes, rounds: int = 3) -> tuple[float, int, int]:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        rendered = render_message(parse_message(raw))
        text = rendered.as_text()
        best = min(best, time.perf_counter() - start)
    return best, len(text.splitlines()), len(rendered.links)


def main() -> None:
    raw = html_message()
    secs, lines, links = timed(raw)
    print(
        f"1 MB HTML message ({len(raw) / 1e6:.2f} MB): {secs * 1000:7.0f} ms  ({lines} lines, {links} links)"
    )
    corpus = sorted((ROOT.parent / "shared" / "corpus").glob("*.eml"))
    if corpus:
        raws = [p.read_bytes() for p in corpus]
        start = time.perf_counter()
        for r in raws:
            render_message(parse_message(r)).as_text()
        secs = time.perf_counter() - start
        print(
            f"shared corpus ({len(raws)} msgs): {secs * 1000:7.0f} ms total, {len(raws) / secs:6.0f} msgs/s"
        )


if __name__ == "__main__":
    main()
