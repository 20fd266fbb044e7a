"""New-mail notifications and hooks (tuimail.core.hooks): the terminal kind chosen from the
environment, escape sequences that untrusted text cannot end or extend, and the command
given the message in its environment only."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tuimail.core.hooks import NewMessage, environment, notification, notification_kind, run_command


def test_the_kind_follows_the_terminal():
    assert notification_kind("auto", {"TERM_PROGRAM": "iTerm.app"}) == "osc9"
    assert notification_kind("auto", {"TERM": "xterm-kitty"}) == "osc9"
    assert notification_kind("auto", {"TERM": "foot"}) == "osc777"
    assert notification_kind("auto", {"TERM": "rxvt-unicode-256color"}) == "osc777"
    assert notification_kind("auto", {"TERM": "xterm-256color"}) == "bell"
    assert notification_kind("auto", {"TERM": "foot", "TMUX": "/tmp/x,1,0"}) == "bell"
    assert notification_kind("off", {"TERM": "foot"}) == "off"
    assert notification_kind("osc9", {}) == "osc9"


@given(st.text(max_size=300), st.text(max_size=300))
def test_untrusted_text_cannot_end_or_extend_the_sequence(title, body):
    for kind, opener, fields in (("osc9", "\x1b]9;", 1), ("osc777", "\x1b]777;notify;", 2)):
        sequence = notification(kind, title, body)
        assert sequence.startswith(opener) and sequence.endswith("\x1b\\")
        inner = sequence[len(opener) : -2]
        assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in inner)
        assert inner.count(";") == fields - 1


def test_the_command_sees_the_message_in_its_environment_only(tmp_path):
    out = tmp_path / "seen"
    message = NewMessage("work", "INBOX", "Ann", "ann@example.test", "$(touch x); `y`", 7)
    status = run_command(f'printf "%s\\n" "$TUIMAIL_SUBJECT" "$TUIMAIL_UID" > {out}', message)
    assert status == 0
    assert out.read_text() == "$(touch x); `y`\n7\n"
    assert environment(message)["TUIMAIL_FROM"] == "Ann <ann@example.test>"


def test_a_failing_command_is_a_status_not_an_exception():
    message = NewMessage("work", "INBOX", "", "a@example.test", "s")
    assert run_command("exit 5", message) == 5


def test_a_command_that_hangs_is_stopped_with_what_it_started(tmp_path):
    """A hook past its timeout is killed with its whole process group (a background
    child too), and the caller gets None, not an exception."""
    import time

    pid_file = tmp_path / "child"
    message = NewMessage("work", "INBOX", "", "a@example.test", "s")
    command = f"sleep 300 & echo $! > {pid_file}; wait"
    assert run_command(command, message, timeout=2) is None
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is as good as gone (it is reaped by its parent or init)
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False
    return True
