"""A tmux session for tests that drive the real app in a real terminal, and the command
that starts `tuimail --demo` in it with a clean environment (the shell records the exit
status in a file: tmux 3.3 can mark a pane dead and never report its status when the
exit races its SIGCHLD handling)."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.system import TMUX, require


class Tmux:
    def __init__(self) -> None:
        self.socket = f"tuimail-test-{uuid.uuid4().hex[:8]}"
        require(("tmux",), TMUX)
        self.binary = shutil.which("tmux")
        self.demo_home: Path | None = None  # the demo's kept home (see demo_command)

    def run(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(
            [self.binary, "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if check and out.returncode != 0:
            raise AssertionError(f"tmux {args[0]} failed: {out.stderr}")
        return out.stdout

    def screen(self, escapes: bool = False) -> str:
        return self.run("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "t")

    def wait_for(self, predicate, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if predicate(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"the screen never matched; last screen:\n{text}{self.diagnosis()}")

    def diagnosis(self) -> str:
        """What the demo in the pane was doing: every thread's stack (SIGUSR1, see
        tuimail.cli.app._run_demo) and the end of its log. Empty without a demo home."""
        home = self.demo_home
        if home is None:
            return ""
        try:
            shell = int(self.pane("#{pane_pid}"))
            children = subprocess.run(
                ["pgrep", "-P", str(shell)], capture_output=True, text=True, timeout=10
            ).stdout.split()
            for pid in children:
                os.kill(int(pid), signal.SIGUSR1)
            time.sleep(1.0)
        except (AssertionError, OSError, ValueError, subprocess.SubprocessError):
            pass
        parts = []
        for name in ("xdg_state_home/tuimail/tuimail.log", "stacks.txt"):
            path = home / name
            text = path.read_text(errors="replace")[-6000:] if path.exists() else "(none)"
            parts.append(f"\n--- demo {name} ---\n{text}")
        return "".join(parts)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "t", *keys)

    def pane(self, fmt: str) -> str:
        return self.run("display-message", "-p", "-t", "t", fmt).strip()

    def kill(self) -> None:
        self.run("kill-server", check=False)


def demo_command(status_file: Path, session: Tmux | None = None, **env: str) -> str:
    """`sh -c` text that runs `python -m tuimail --demo` with only `env` (plus HOME, PATH
    and this tree on PYTHONPATH) and writes its exit status to `status_file`. With the
    `session` it will run in, the demo keeps its home beside `status_file`, and a failed
    wait there shows the demo's threads and log (Tmux.diagnosis)."""
    if session is not None:
        session.demo_home = status_file.parent / "demo-home"
        env = {"TUIMAIL_DEMO_HOME": str(session.demo_home), **env}
    full = {
        "TERM": "xterm-256color",
        "VISUAL": "",
        "DBUS_SESSION_BUS_ADDRESS": "",  # as over SSH
        "HOME": os.environ["HOME"],
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "TUIMAIL_DEMO_NEW_MAIL_AFTER": "1",  # the tests wait for it (the default is 5 s)
        **env,
    }
    command = "env -i " + " ".join(f"{k}={shlex.quote(v)}" for k, v in full.items())
    command += f" {shlex.quote(sys.executable)} -m tuimail --demo"
    return command + f"; echo $? > {shlex.quote(str(status_file))}"


def quit_and_status(session: Tmux, status_file: Path, timeout: float = 30.0) -> tuple[str, str]:
    """Press q; wait for the pane to die and the exit status; (status, last screen)."""
    session.keys("q")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and session.pane("#{pane_dead}") != "1":
        time.sleep(0.1)
    screen = session.screen()
    assert session.pane("#{pane_dead}") == "1", f"q did not quit; screen:\n{screen}"
    while time.monotonic() < deadline and not status_file.exists():
        time.sleep(0.05)
    status = status_file.read_text().strip() if status_file.exists() else "(none)"
    return status, screen
