"""Messages saved as .eml and piped as an mbox: bytes unchanged, names safe, nothing
overwritten, "From " lines quoted so a reader splits the mbox where it should."""

from __future__ import annotations

import mailbox

from hypothesis import given
from hypothesis import strategies as st

from tuimail.core import message_files
from tuimail.core.message_files import eml_name, pipe_input, run_pipe, save_eml
from tuimail.words.actions import pipe_finished

RAW = b"From: a@example.test\r\nSubject: x\r\n\r\nFrom here on\r\n>From there\r\n"


def test_one_message_is_piped_unchanged():
    assert pipe_input([RAW]) == RAW


def test_several_are_an_mbox_with_from_lines_quoted():
    data = pipe_input([RAW, RAW.replace(b"x", b"y")])
    assert data.count(b"\nFrom here on") == 0 and data.count(b">From here on") == 2
    assert data.count(b">>From there") == 2


def test_the_mbox_reads_back_as_the_messages(tmp_path):
    path = tmp_path / "box"
    path.write_bytes(pipe_input([RAW, RAW.replace(b"Subject: x", b"Subject: y")]))
    box = mailbox.mbox(str(path))
    assert [m["Subject"] for m in box] == ["x", "y"]


def test_save_never_overwrites(tmp_path):
    first = save_eml([("Hello", b"1")], tmp_path / "m")
    second = save_eml([("Hello", b"2")], tmp_path / "m")
    assert first[0].name == "m.eml" and second[0].name == "m (2).eml"
    assert first[0].read_bytes() == b"1"
    many = save_eml([("Same", b"a"), ("Same", b"b")], tmp_path / "dir")
    assert sorted(p.name for p in many) == ["Same (2).eml", "Same.eml"]


@given(st.text(max_size=300))
def test_a_subject_becomes_a_safe_file_name(subject):
    name = eml_name(subject)
    assert name.endswith(".eml") and "/" not in name and "\\" not in name
    assert not name.startswith(".") and "\x00" not in name and len(name.encode()) < 300


def test_a_command_that_hangs_is_stopped_and_said_so(monkeypatch):
    monkeypatch.setattr(message_files, "PIPE_TIMEOUT", 1.0)
    result = run_pipe("sleep 30", b"x")
    assert (result.status, result.output, result.failure) == (-1, "", "timeout")
    assert pipe_finished(result) == "The command was stopped after 1 s."


def test_a_command_that_cannot_start_is_data_worded_at_the_edge(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no sh to run it with
    result = run_pipe("true", b"x")
    assert (result.status, result.failure, result.error) == (
        -1,
        "not-run",
        "No such file or directory",
    )
    assert pipe_finished(result) == "The command could not run: No such file or directory."


def test_the_command_gets_the_message_on_stdin_and_its_status_comes_back():
    result = run_pipe("wc -c; exit 4", b"12345")
    assert result.status == 4 and result.output.strip() == "5"


def test_a_command_that_prints_10_mb_is_said_in_a_few_short_lines():
    """Its output is captured (no terminal to hand over): the note keeps the end of it,
    a few lines each cut short, never a 10 MB notification."""
    result = run_pipe("head -c 10000000 /dev/zero | tr '\\0' x; echo; echo last; exit 3", b"x")
    assert result.status == 3 and len(result.output) <= 64 * 1024
    said = pipe_finished(result)
    assert said.startswith("The command finished (exit status 3).") and said.endswith("\nlast")
    assert len(said) < 1000, len(said)
