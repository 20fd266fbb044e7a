"""Write docs/tuimail.1 (from the argparse parser) and docs/tuimail-config.5 (from
docs/config.md). Run after changing a command, an option or docs/config.md:

    python scripts/make_manpages.py
"""

from __future__ import annotations

import datetime

from tuimail.cli.manpages import write_all

if __name__ == "__main__":
    for path in write_all(datetime.date.today().isoformat()):
        print(f"wrote {path}")
