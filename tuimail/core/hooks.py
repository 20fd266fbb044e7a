"""New mail, told to the user outside the list: a terminal notification and a command.

* :func:`notification_kind` picks how the terminal is told: OSC 9 (iTerm2, WezTerm,
  kitty, Ghostty, ConEmu), OSC 777 (foot, urxvt, contour), else the bell (inside tmux too:
  tmux drops OSC notifications unless passthrough is on, and shows a bell as an alert).
* :func:`notification` is the escape sequence, with the untrusted sender and subject
  sanitised and stripped of everything that could end or extend the sequence.
* :func:`run_command` runs the user's `new_mail_command` (or `watch --exec`) with the
  sender and subject in TUIMAIL_* environment variables: the message's text never
  becomes part of a command line, so the shell never reads it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from tuimail.core.config import NOTIFY_SETTINGS
from tuimail.core.sanitize import sanitize

COMMAND_TIMEOUT = 60.0  # seconds: a hook still running after this is stopped
FIELD_LIMIT = 200  # characters of a sender or subject put in a notification or variable

_OSC9 = {"iTerm.app", "WezTerm", "ghostty"}
log = logging.getLogger("tuimail")


@dataclass(frozen=True)
class NewMessage:
    """What a hook is told about one new message (strings as received; sanitised here)."""

    account: str
    folder: str
    sender_name: str
    sender_address: str
    subject: str
    uid: int = 0


def from_rows(rows: list, limit: int = 10) -> list[NewMessage]:
    """NewMessages from the store's rows (the runtime's "new-mail" event carries them)."""
    return [
        NewMessage(r.account, r.folder, r.from_name, r.from_addr, r.subject, r.uid or 0)
        for r in rows[:limit]
    ]


def notification_kind(setting: str = "auto", env: Mapping[str, str] | None = None) -> str:
    """ "osc9", "osc777", "bell" or "off" for the `notify` setting in this terminal."""
    if setting != "auto":
        return setting if setting in NOTIFY_SETTINGS else "bell"
    env = os.environ if env is None else env
    if env.get("TMUX") or env.get("TERM", "").startswith(("screen", "tmux")):
        return "bell"
    term = env.get("TERM", "")
    if env.get("TERM_PROGRAM") in _OSC9 or term == "xterm-kitty" or env.get("ConEmuANSI") == "ON":
        return "osc9"
    if term.startswith(("foot", "rxvt")) or env.get("TERMINAL_NAME") == "contour":
        return "osc777"
    return "bell"


def _field(text: str) -> str:
    """Safe inside an OSC sequence: one line, no control characters, no ';' (the
    separator of OSC 777), bounded."""
    clean = sanitize(text or "").replace(";", ",")
    clean = "".join(ch for ch in clean if ch.isprintable())
    return clean[:FIELD_LIMIT]


def notification(kind: str, title: str, body: str) -> str:
    """The escape sequence telling the terminal (empty for "off"; BEL for "bell")."""
    if kind == "osc9":
        # "tuimail: " first: OSC 9 text starting with a digit and ';' means progress.
        return f"\x1b]9;tuimail: {_field(title)}: {_field(body)}\x1b\\"
    if kind == "osc777":
        return f"\x1b]777;notify;{_field(title)};{_field(body)}\x1b\\"
    if kind == "bell":
        return "\a"
    return ""


def environment(message: NewMessage, count: int = 1) -> dict[str, str]:
    """The TUIMAIL_* variables describing `message` (sanitised, one line each)."""
    return {
        "TUIMAIL_ACCOUNT": _variable(message.account),
        "TUIMAIL_FOLDER": _variable(message.folder),
        "TUIMAIL_FROM_NAME": _variable(message.sender_name),
        "TUIMAIL_FROM_ADDRESS": _variable(message.sender_address),
        "TUIMAIL_FROM": _variable(
            f"{message.sender_name} <{message.sender_address}>"
            if message.sender_name
            else message.sender_address
        ),
        "TUIMAIL_SUBJECT": _variable(message.subject),
        "TUIMAIL_UID": str(message.uid or ""),
        "TUIMAIL_COUNT": str(count),
    }


def _variable(text: str) -> str:
    return sanitize(text or "").replace("\x00", "")[: FIELD_LIMIT * 5]


def run_command(
    command: str, message: NewMessage, count: int = 1, timeout: float = COMMAND_TIMEOUT
) -> int | None:
    """Run `command` (sh -c: the user wrote it) with the message in the environment; its
    exit status, or None if it could not run or took too long. Output is discarded (the
    app owns the terminal); a failure is logged, never raised. The command runs in a
    session of its own: it gets no terminal signals, and when it takes longer than
    `timeout` it is stopped with everything it started (its process group)."""
    env = {**os.environ, **environment(message, count)}
    try:
        proc = subprocess.Popen(
            ["sh", "-c", command],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        log.warning("new mail command could not run: %s", exc.strerror)
        return None
    with _running_lock:
        _running.add(proc)
    try:
        status = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop_group(proc)
        log.warning("new mail command stopped after %d s", int(timeout))
        return None
    finally:
        with _running_lock:
            _running.discard(proc)
    if status:
        log.info("new mail command exited with status %d", status)
    return status


_running: set[subprocess.Popen] = set()  # commands run_command started, still running
_running_lock = threading.Lock()


def stop_running() -> int:
    """Stop every command run_command started that is still running, each with its
    process group (what `tuimail watch` does when it ends: a command that hangs never
    holds it, nor is left behind). How many were stopped."""
    with _running_lock:
        running = list(_running)
    for proc in running:
        _stop_group(proc)
    return len(running)


def _stop_group(proc: subprocess.Popen) -> None:
    """Kill the command's process group (it leads its own session), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:  # gone already
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
