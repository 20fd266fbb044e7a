"""`tuimail --demo` in a real terminal (tmux), as a newcomer runs it: the screen paints,
16 colours are honoured end to end, keys work with the mouse off, $EDITOR edits the
body (the app suspends and resumes), and q quits cleanly.

tmux is a system requirement of the test suite (like Dovecot for the interop tests).
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import time
from pathlib import Path

EDITOR = """\
import sys
with open(sys.argv[1], "a", encoding="utf-8") as handle:
    handle.write("Written in the editor.\\n")
"""


def test_demo_in_tmux_16_colours_keys_editor_and_quit(tmux, tmp_path: Path):
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR)
    env = {
        "TERM": "xterm-256color",
        "TEXTUAL_COLOR_SYSTEM": "standard",  # a 16-colour terminal
        "EDITOR": f"{sys.executable} {editor}",
        "VISUAL": "",
        "DBUS_SESSION_BUS_ADDRESS": "",  # as over SSH
        "HOME": os.environ["HOME"],
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    command = "env -i " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command += f" {shlex.quote(sys.executable)} -m tuimail --demo"
    # The shell records the exit status itself: tmux 3.3 can mark a pane dead (pty closed)
    # and never report its status when the exit races its SIGCHLD handling.
    status_file = tmp_path / "exit-status"
    command += f"; echo $? > {shlex.quote(str(status_file))}"
    tmux.run("new-session", "-d", "-s", "t", "-x", "100", "-y", "30", "sh", "-c", command)
    tmux.run("set-option", "-t", "t", "remain-on-exit", "on")
    screen = tmux.wait_for(lambda s: "Outbox:" in s and "INBOX" in s, timeout=90)
    tmux.wait_for(lambda s: "up to date" in s or "push connected" in s, timeout=60)

    # 16 colours end to end: tmux saw only the standard colour codes, never 256/RGB
    coloured = tmux.screen(escapes=True)
    assert "\x1b[" in coloured
    sgr = re.findall(r"\x1b\[([0-9;]*)m", coloured)
    assert sgr and not any(re.search(r"(^|;)[34]8;[25];", code) for code in sgr), sgr[:20]

    # keyboard only (tmux's mouse is off): compose, then $EDITOR for the body
    tmux.keys("c")
    screen = tmux.wait_for(lambda s: "Subject:" in s and "Attach:" in s)
    tmux.keys("C-e")
    screen = tmux.wait_for(lambda s: "Written in the editor." in s, timeout=30)
    assert "Subject:" in screen  # back in the composer after the editor
    tmux.keys("Escape")  # the body was edited: the composer asks before discarding it
    tmux.wait_for(lambda s: "has not been sent" in s and "Discard" in s)
    tmux.keys("d")
    tmux.wait_for(lambda s: "Outbox:" in s and "Attach:" not in s)
    tmux.keys("q")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and tmux.pane("#{pane_dead}") != "1":
        time.sleep(0.1)
    screen = tmux.screen()
    assert tmux.pane("#{pane_dead}") == "1", f"q did not quit; screen:\n{screen}"
    while time.monotonic() < deadline and not status_file.exists():
        time.sleep(0.05)
    status = status_file.read_text().strip() if status_file.exists() else "(none)"
    assert status == "0", f"exit status {status}; screen:\n{screen}"
    assert "Traceback" not in screen and "Fatal Python error" not in screen, screen
