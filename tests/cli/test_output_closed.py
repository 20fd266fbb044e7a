"""Standard output that fails is not a mail failure: a reader that goes away
(`tuimail list | head -1`) ends the command quietly, a full disk is one sentence; never
a traceback, never "the connection to the mail server was lost"."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.imap.helpers import message

# Commands guarded by the mail failure handler (list, sync) and one that is not.
COMMANDS = (("list",), ("sync",), ("account", "list"))


def _run(args: tuple[str, ...], stdout) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tuimail", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        timeout=90,
        check=False,
    )


def test_a_reader_that_went_away_ends_the_command_quietly(synced) -> None:
    for args in COMMANDS:
        read_end, write_end = os.pipe()
        os.close(read_end)  # `| head -c 0`: the reader is gone before the first line
        try:
            result = _run(args, write_end)
        finally:
            os.close(write_end)
        assert result.returncode == 0, (args, result.stderr)
        assert result.stderr == b"", (args, result.stderr)


def test_a_full_disk_is_one_sentence(synced) -> None:
    for args in COMMANDS:
        with open("/dev/full", "wb") as full:
            result = _run(args, full)
        assert result.returncode == 1, (args, result.stderr)
        err = result.stderr.decode()
        assert err == "tuimail: could not write the output (No space left on device)\n", (
            args,
            err,
        )


@pytest.mark.timeout(120)
def test_watch_ends_when_its_reader_goes_away(synced, mail_server) -> None:
    """`tuimail watch | head -1`: the next new message finds no reader, and the watch
    ends by itself (it used to go on for ever, printing to no one)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tuimail", "watch", "work"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert b"watching" in proc.stdout.readline()
        proc.stdout.close()  # the reader has had its line and goes away
        mail_server.deliver(synced, message(2, "after the reader left"))
        status = proc.wait(timeout=60)
        err = proc.stderr.read()
    finally:
        if proc.poll() is None:  # never left running, whatever failed
            proc.kill()
            proc.wait(timeout=30)
    assert status == 0 and err == b"", err
