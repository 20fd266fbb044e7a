"""Every screen's stylesheet (CSS_PATH) is among the ones the app reads once the user is
idle (tuimail.ui.app.other_css): a screen whose rules are missing there would read them
itself when first shown, a pause on the first dialog."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.screen import Screen

import tuimail.ui.screens
from tuimail.ui.app import SCREENS_DIR, other_css


def _screen_css_paths() -> dict[str, set[Path]]:
    """Each screen class with rules of its own: the files its CSS_PATH names."""
    found: dict[str, set[Path]] = {}
    for module in pkgutil.iter_modules(tuimail.ui.screens.__path__, "tuimail.ui.screens."):
        for _name, cls in inspect.getmembers(importlib.import_module(module.name)):
            if not (inspect.isclass(cls) and issubclass(cls, Screen)):
                continue
            if cls.__module__ != module.name or not cls.__dict__.get("CSS_PATH"):
                continue
            paths = cls.CSS_PATH if isinstance(cls.CSS_PATH, list) else [cls.CSS_PATH]
            here = Path(inspect.getfile(cls)).parent
            found[cls.__qualname__] = {(here / p).resolve() for p in paths}
    return found


def test_every_screens_stylesheet_is_read_while_the_user_is_idle() -> None:
    read = {(SCREENS_DIR / name).resolve() for name in other_css()}
    screens = _screen_css_paths()
    assert len(screens) >= 5  # the dialogs, the composer, the wizard, the diagnosis...
    missing = {name: paths - read for name, paths in screens.items() if paths - read}
    assert missing == {}


def test_every_stylesheet_read_while_idle_belongs_to_a_screen() -> None:
    used = set().union(*_screen_css_paths().values())
    assert {(SCREENS_DIR / name).resolve() for name in other_css()} <= used
