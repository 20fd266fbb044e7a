"""Issue 17 in a real terminal (tmux) on `tuimail --demo`: three messages tagged and moved
in one action, then the whole move undone with one u; a message piped to a command that
writes a file, with the app suspended around the command and restored after it (also after
the command was stopped with Ctrl-C)."""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path

from tests.ui.tmux import demo_command, quit_and_status

TOP = 12  # list rows compared (the toasts sit at the bottom right)


def _start(tmux, tmp_path: Path) -> Path:
    status_file = tmp_path / "exit-status"
    tmux.run(
        "new-session", "-d", "-s", "t", "-x", "120", "-y", "30", "sh", "-c",
        # as a login shell does, the shell around the app survives a Ctrl-C meant for a
        # command the app runs (a trap, unlike ignoring it, is not inherited by the app)
        "trap : INT; " + demo_command(status_file, tmux),
    )  # fmt: skip
    tmux.run("set-option", "-t", "t", "remain-on-exit", "on")
    # The demo's "new mail" arrives a few seconds in: wait for it, so the list is steady.
    tmux.wait_for(lambda s: "pushed by IDLE" in s and "push connected" in s, timeout=120)
    return status_file


# The list's vertical scrollbar is drawn in its last columns: its thumb moves when rows go.
_SCROLLBAR = " ▁▂▃▄▅▆▇█"


def _rows(screen: str) -> list[str]:
    return [
        line.split("▎", 1)[1].rstrip(_SCROLLBAR)
        for line in screen.splitlines()[1:TOP]
        if "▎" in line
    ]


def _count(screen: str, folder: str) -> int:
    found = re.search(rf"{folder} \((\d+)\)", screen)
    return int(found.group(1)) if found else 0


HANG = "607"  # seconds a piped command sleeps (an odd number: its process is found by it)


def _wait_for_process(argv: list[str], timeout: float = 60.0) -> None:
    """Until a process runs exactly `argv` (the command the app handed the terminal to)."""
    wanted = "\0".join(argv).encode() + b"\0"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if cmdline.read_bytes() == wanted:
                    return
            except OSError:
                continue
        time.sleep(0.1)
    raise AssertionError(f"no process {argv} started")


def test_tag_three_move_them_in_one_action_and_undo_it(tmux, tmp_path: Path):
    status_file = _start(tmux, tmp_path)
    before = tmux.screen()
    rows = _rows(before)
    tmux.keys("Space", "Space", "Space")
    tmux.wait_for(lambda s: "3 tagged" in s)
    tmux.keys("m")
    tmux.wait_for(lambda s: "Move to folder" in s)
    tmux.keys("Archive")
    tmux.keys("Enter")
    moved = tmux.wait_for(lambda s: "Moved 3 messages to Archive" in s, timeout=60)
    assert "tagged" not in moved.splitlines()[0]  # the tags have served
    after = _rows(moved)
    assert len([r for r in rows if r not in after]) == 3, (rows, after)
    tmux.keys("u")
    tmux.wait_for(lambda s: "Undone: moved 3 messages" in s, timeout=60)
    restored = tmux.wait_for(lambda s: _rows(s) == rows, timeout=60)
    assert _count(restored, "Archive") == _count(before, "Archive")
    status, screen = quit_and_status(tmux, status_file)
    assert status == "0", f"exit status {status}; screen:\n{screen}"


def test_pipe_a_message_to_a_command_that_writes_a_file(tmux, tmp_path: Path):
    status_file = _start(tmux, tmp_path)
    out = tmp_path / "piped.eml"
    tmux.keys("g")  # the first row: the message that arrived by IDLE
    tmux.keys("|")
    tmux.wait_for(lambda s: "Pipe this message to command" in s)
    tmux.keys("-l", f"cat > {shlex.quote(str(out))}; echo piped-ok; exec sleep {HANG}")
    tmux.keys("Enter")
    # the app steps aside: the command's own output is on the terminal; the command hangs
    # and the user stops it with Ctrl-C, which stops the command, never the app
    tmux.wait_for(lambda s: "piped-ok" in s, timeout=60)
    _wait_for_process(["sleep", HANG])
    tmux.keys("C-c")
    tmux.wait_for(lambda s: "Press Enter to return" in s, timeout=60)
    raw = out.read_bytes()
    assert b"Subject: Are you there? (pushed by IDLE)" in raw and b"\n\n" in raw
    tmux.keys("Enter")
    tmux.wait_for(lambda s: "push connected" in s and "INBOX" in s and "piped-ok" not in s)
    status, screen = quit_and_status(tmux, status_file)
    assert status == "0", f"exit status {status}; screen:\n{screen}"


def test_shell_command_with_the_app_suspended_and_restored(tmux, tmp_path: Path):
    status_file = _start(tmux, tmp_path)
    out = tmp_path / "shell-ran"
    tmux.keys("!")
    tmux.wait_for(lambda s: "Shell command" in s)
    tmux.keys("-l", f"echo from-the-shell; touch {shlex.quote(str(out))}")
    tmux.keys("Enter")
    # the terminal is the shell's: the app's screen is gone, the command's output is there
    tmux.wait_for(lambda s: "from-the-shell" in s and "Press Enter to return" in s, timeout=60)
    assert out.exists()
    tmux.keys("Enter")
    restored = tmux.wait_for(lambda s: "push connected" in s and "from-the-shell" not in s)
    assert "INBOX" in restored
    status, screen = quit_and_status(tmux, status_file)
    assert status == "0", f"exit status {status}; screen:\n{screen}"
