"""Ctrl-C while the app has handed the terminal to another program (a piped command, `!`,
$EDITOR) stops that program, never the app: asyncio's own SIGINT handler (which cancels the
app's main task) is out of the way inside the hand-over and back after it, and the program
still gets the default SIGINT. (The whole path in a real terminal: the pipe test in
test_power_use_in_tmux.py.)"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from tuimail.ui.handover import sigint_for_the_program


def test_sigint_during_the_hand_over_stops_the_program_not_the_app() -> None:
    async def app() -> tuple[int, bool]:
        with sigint_for_the_program():
            child = subprocess.Popen(
                [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"],
                stdout=subprocess.PIPE,
            )
            assert child.stdout is not None and child.stdout.readline() == b"ready\n"
            os.kill(os.getpid(), signal.SIGINT)  # as the terminal sends it to the group
            child.send_signal(signal.SIGINT)
            status = child.wait(timeout=30)
        await asyncio.sleep(0.05)  # a cancelled main task would end here
        return status, True

    try:
        status, survived = asyncio.run(app())
    except KeyboardInterrupt:  # asyncio's handler cancelled the app: what Ctrl-C did
        status, survived = None, False
    assert survived
    assert status != 0  # the program was interrupted (KeyboardInterrupt: status 1)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_outside_the_hand_over_asyncio_still_handles_sigint() -> None:
    """The handler asyncio installed is restored: Ctrl-C in the app (when it reaches
    Python) still ends the run as before."""

    async def app() -> str:
        with sigint_for_the_program():
            pass
        try:
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            return "cancelled"
        return "not cancelled"

    try:
        result = asyncio.run(app())
    except KeyboardInterrupt:
        result = "cancelled"
    assert result == "cancelled"
