"""A Textual driver for measuring what the app loads before its first painted list.

Run the real `tuimail` entry point in a child with TEXTUAL_DRIVER pointing here: the app
renders through this driver as if to a terminal (no terminal needed); the first time a
frame contains PROBE_MARKER (a subject of a row of the list), the child writes the sorted
names of its imported modules, as JSON, to PROBE_OUT and ends at once.
"""

from __future__ import annotations

import json
import os
import sys

from textual.drivers.headless_driver import HeadlessDriver

PROBE_MARKER = "TUIMAIL_PROBE_MARKER"
PROBE_OUT = "TUIMAIL_PROBE_OUT"
DRIVER = f"{__name__}:FirstPaintProbe"


class FirstPaintProbe(HeadlessDriver):
    """Renders like a terminal of 160x50; ends the process at the first painted row."""

    @property
    def is_headless(self) -> bool:
        return False  # the app renders every frame to write()

    def _get_terminal_size(self) -> tuple[int, int]:
        return 160, 50

    def write(self, data: str) -> None:
        if os.environ[PROBE_MARKER] in data:
            with open(os.environ[PROBE_OUT], "w") as out:
                json.dump(sorted(sys.modules), out)
            os._exit(0)
