"""Child processes in tests (`tuimail watch`, ...): stopped as a user would (Ctrl-C), and
never left running when that does not work."""

from __future__ import annotations

import signal
import subprocess


def interrupt(proc: subprocess.Popen, timeout: float = 15.0) -> tuple[str, str]:
    """SIGINT, wait, and return the rest of (stdout, stderr). If the process has not ended by
    then it is killed by PID (so a failing test never leaves a live child) and the test fails."""
    try:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=timeout)
        raise AssertionError(f"pid {proc.pid} ignored SIGINT for {timeout} s: killed") from None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=timeout)
    return out or "", err or ""
