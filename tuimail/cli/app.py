"""Starting the Textual app (optionally on the bundled demo server)."""

from __future__ import annotations

import sys


def run_app(demo: bool = False) -> int:
    print("tuimail: the app is not built yet", file=sys.stderr)
    return 1
