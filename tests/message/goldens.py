"""Golden-file helper: compare a rendering with tests/data/golden/...; regenerate
with TUIMAIL_UPDATE_GOLDENS=1."""

from __future__ import annotations

import os
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
GOLDEN = DATA / "golden"
UPDATE = os.environ.get("TUIMAIL_UPDATE_GOLDENS") == "1"


def check_golden(relpath: str, actual: str) -> None:
    path = GOLDEN / relpath
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"missing golden {relpath}; run with TUIMAIL_UPDATE_GOLDENS=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"rendering of {relpath} changed (TUIMAIL_UPDATE_GOLDENS=1 to accept)"
    )
