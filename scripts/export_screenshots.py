"""Regenerate screenshots/*.svg: the main screen, reader, composer, wizard and help.

    python3 scripts/export_screenshots.py [--out screenshots]

Runs the app headless on the demo server (fixed demo dates, a fixed clock) in a
temporary home, so the pictures are the same on every machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (120, 36)


async def _steady(pilot) -> None:
    await pilot.pause(0.3)
    await pilot.app.workers.wait_for_complete()
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


async def export(out: Path) -> list[Path]:
    from tuimail.core.service import MailService
    from tuimail.ui.app import TuimailApp
    from tuimail.ui.demo import DEMO_NOW, Demo
    from tuimail.ui.screens.composer import ComposerScreen

    written: list[Path] = []
    demo = Demo(new_mail_after=0)
    try:

        def app() -> TuimailApp:
            service = MailService(
                {demo.account.name: demo.account},
                password_for=lambda _a: demo.password,
                idle=False,
            )
            return TuimailApp(service, now=DEMO_NOW)

        async def shot(name: str, keys: list[str], size=SIZE, make=app) -> None:
            instance = make()
            async with instance.run_test(size=size) as pilot:
                while instance.service is not None and not instance.synced:
                    await pilot.pause(0.05)
                await _steady(pilot)
                await pilot.press(*keys)
                await _steady(pilot)
                if name == "composer":
                    while not isinstance(instance.screen, ComposerScreen):
                        await pilot.pause(0.05)
                    await _steady(pilot)
                path = out / f"{name}.svg"
                instance.save_screenshot(str(path))
                written.append(path)

        await shot("main", ["j", "j", "j", "j"])
        await shot("reader", ["j", "j", "j", "j", "enter"], size=(80, 24))
        await shot("composer", ["j", "r"])
        await shot("help", ["question_mark"])
        await shot("wizard", [], make=lambda: TuimailApp(None))
    finally:
        demo.stop()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tuimail-shots-") as home:
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            os.environ[var] = os.path.join(home, var.lower())
            os.makedirs(os.environ[var])
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        for path in asyncio.run(export(out)):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
