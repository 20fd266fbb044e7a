"""Links of a message, opened with the system's opener or handed to the terminal's
clipboard (OSC 52, which works over SSH).

A link is opened only when it is http(s) (or mailto:, which tuimail composes itself) and
only as one argument of the opener (never through a shell). Over SSH, or without a
display, there is nothing local to open it with: the caller copies it instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

OPENABLE = ("http://", "https://")


def is_web(url: str) -> bool:
    return url.lower().startswith(OPENABLE)


def is_mailto(url: str) -> bool:
    return url.lower().startswith("mailto:")


def remote_session(env: Mapping[str, str] | None = None) -> bool:
    """True over SSH, or on Linux/BSD without a display (a browser could not show up)."""
    env = os.environ if env is None else env
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        return True
    if sys.platform == "darwin" or sys.platform.startswith("win"):
        return False
    return not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def opener() -> str | None:
    """The system's opener program, if there is one."""
    if sys.platform == "darwin":
        return shutil.which("open")
    return shutil.which("xdg-open")


@dataclass(frozen=True)
class LinkOpened:
    """What open_link did: `outcome` "opened", "not-web" (only http/https are opened),
    "no-opener" (no xdg-open/open here) or "failed" (`error`: the system's own words);
    the edge words it (tuimail.words)."""

    outcome: str
    error: str = ""


def open_link(url: str) -> LinkOpened:
    """Open a web link with the system opener; what happened, as data."""
    if not is_web(url):
        return LinkOpened("not-web")
    program = opener()
    if program is None:
        return LinkOpened("no-opener")
    try:
        subprocess.Popen(
            [program, url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        return LinkOpened("failed", exc.strerror or type(exc).__name__)
    return LinkOpened("opened")
