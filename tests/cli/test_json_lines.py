"""`--json` streams (`tuimail watch --json`) print one JSON object per line, each line in
one write under a lock: watch prints from the runtime's thread (new mail) and from
connection threads (server alerts) at once, and print() writes a text and its newline
separately, so two lines could interleave ('{...}{...}\\n\\n')."""

from __future__ import annotations

import json
import sys
import threading
import time

from tuimail.cli.jsonout import dump


class _Slow:
    """A standard output that keeps each write and lets other threads run in between."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        time.sleep(0.001)
        return len(text)

    def flush(self) -> None:
        pass


def test_json_lines_from_two_threads_never_interleave(monkeypatch) -> None:
    out = _Slow()
    monkeypatch.setattr(sys, "stdout", out)

    def say(who: str) -> None:
        for n in range(20):
            dump({"event": who, "n": n}, lines=True)

    threads = [threading.Thread(target=say, args=(who,)) for who in ("new", "alert")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert all(text.endswith("\n") and text.count("\n") == 1 for text in out.writes)
    lines = [json.loads(line) for line in "".join(out.writes).splitlines()]
    assert sorted((e["event"], e["n"]) for e in lines) == sorted(
        (who, n) for who in ("new", "alert") for n in range(20)
    )
