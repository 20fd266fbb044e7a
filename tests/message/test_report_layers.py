"""The delivery report lives in core: importing it (and the rest of tuimail.core) never
imports Textual or tuimail.ui."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import tuimail.core
for module in pkgutil.walk_packages(tuimail.core.__path__, "tuimail.core."):
    importlib.import_module(module.name)
print("report" if "tuimail.core.report.build" in sys.modules else "no report")
print(sorted(m for m in sys.modules if m.split(".")[0] == "textual" or m.startswith("tuimail.ui")))
"""


def test_core_and_its_report_never_import_textual() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.splitlines() == ["report", "[]"]
