"""`tuimail --demo` in a real terminal (tmux), driven by keys as a user types them, through
the issue-16 data-safety paths: forwarding a message with an attachment (the copy in Sent
has it), `d` in Trash (a question first), a draft written in $EDITOR (headers included),
saved, reopened from Drafts and sent (it leaves Drafts), and `s a s` typed in one burst
(flag, archive, then flag the next message; no error).

tmux is a system requirement of the test suite (like Dovecot for the interop tests).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.ui.tmux import Tmux, demo_command, quit_and_status

# Checks the file it is given (headers first, a final newline), sets the subject and
# adds a line to the text; a failed check shows up in the composer.
EDITOR = """\
import sys
path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    text = handle.read()
ok = text.endswith("\\n") and text.startswith("To: ") and "\\nSubject: " in text
lines = ["Subject: Tmux draft" if x.startswith("Subject:") else x for x in text.split("\\n")]
text = "\\n".join(lines) + ("Written in the editor.\\n" if ok else "EDITOR CHECK FAILED\\n")
with open(path, "w", encoding="utf-8") as handle:
    handle.write(text)
"""


def _open_folder(tmux: Tmux, name: str) -> str:
    """Through the command palette (Ctrl+P, "Open folder X", Enter)."""
    tmux.keys("C-p")
    tmux.wait_for(lambda s: "🔎" in s)
    tmux.keys(f"Open folder {name}")
    tmux.wait_for(lambda s: "Show this folder's messages" in s)
    tmux.keys("Enter")
    return tmux.wait_for(lambda s: f"demo — {name}" in s and "🔎" not in s)


def _type_field(tmux: Tmux, text: str) -> None:
    """Type into the focused field and wait until it shows (keys sent in one go can
    outrun a focus change)."""
    tmux.keys("-l", text)
    tmux.wait_for(lambda s: text in s)


def _reader_value(screen: str, header: str) -> str:
    """A header's value as the reader pane shows it (its first line)."""
    for line in screen.splitlines():
        if "▊" in line and line.rsplit("▊", 1)[1].startswith(f" {header}: "):
            return line.rsplit("▊", 1)[1].split(": ", 1)[1].strip()
    raise AssertionError(f"no {header} in the reader:\n{screen}")


def _first_with_attachment(tmux: Tmux) -> str:
    """Move down the list (j) until the preview lists an attachment; its screen."""
    screen = tmux.screen()
    for _ in range(80):
        if "Attachments (press S to save)" in screen:
            return screen
        tmux.keys("j")
        screen = tmux.wait_for(
            lambda s, was=_reader_value(screen, "Date"): (
                "Date:" in s and _reader_value(s, "Date") != was
            )
        )
    raise AssertionError(f"no message with an attachment in INBOX:\n{screen}")


def _list_lines(screen: str) -> list[str]:
    """The message list column of the three-pane screen, one row per line."""
    rows = []
    for line in screen.splitlines()[1:]:
        if "▎" in line and "▊" in line:
            rows.append(line.split("▎", 1)[1].rsplit("▊", 1)[0])
    return rows


def test_forward_trash_draft_and_a_burst_of_keys_in_tmux(tmux: Tmux, tmp_path: Path):
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR)
    status_file = tmp_path / "exit-status"
    command = demo_command(status_file, tmux, EDITOR=f"{sys.executable} {editor}")
    tmux.run(
        "new-session", "-d", "-s", "t", "-x", "160", "-y", "36", "sh", "-c", command
    )  # 3 panes
    tmux.run("set-option", "-t", "t", "remain-on-exit", "on")
    tmux.wait_for(lambda s: "up to date" in s or "push connected" in s, timeout=90)
    # the demo's pushed message arrives a few seconds in: wait, so nothing moves later
    try:
        tmux.wait_for(lambda s: "Are you there?" in s, timeout=45)
    except AssertionError:  # the push landed in the store but the list missed it: re-open
        _open_folder(tmux, "INBOX")
        tmux.wait_for(lambda s: "Are you there?" in s, timeout=30)
    tmux.keys("g")  # the cursor stayed on the message it was on: to the top
    tmux.wait_for(lambda s: "Subject: Are you there?" in s)

    # forward a message with an attachment: it is carried, and the copy in Sent has it
    screen = _first_with_attachment(tmux)
    subject = _reader_value(screen, "Subject")
    name = re.search(r"  1\. (\S+) \(", screen).group(1)
    tmux.keys("f")
    screen = tmux.wait_for(lambda s: f"Subject: Fwd: {subject}" in s)
    assert f"Attach: {name}" in screen, screen
    _type_field(tmux, "bob@example.test")
    tmux.keys("C-s")
    tmux.wait_for(lambda s: "Attach:" not in s)
    _open_folder(tmux, "Sent")
    tmux.keys("g")
    screen = tmux.wait_for(
        lambda s: f"Subject: Fwd: {subject.split()[0]}" in s and f"1. {name} (" in s,
        timeout=30,
    )
    assert "To: bob@example.test" in screen

    # d in Trash: a question first, and no promise of an undo
    screen = _open_folder(tmux, "Trash")
    first = _list_lines(screen)[0]
    tmux.keys("d")
    tmux.wait_for(lambda s: "for ever? This cannot be undone." in s)
    tmux.keys("y")
    screen = tmux.wait_for(lambda s: "Deleted for ever." in s, timeout=30)
    assert "u to undo" not in screen
    tmux.wait_for(lambda s: _list_lines(s)[0] != first)

    # a draft: headers and text in $EDITOR, saved, reopened from Drafts, sent
    tmux.keys("c")
    tmux.wait_for(lambda s: "Attach:" in s)
    _type_field(tmux, "bob@example.test")
    tmux.keys("C-e")
    screen = tmux.wait_for(lambda s: "Written in the editor." in s, timeout=30)
    assert "Subject: Tmux draft" in screen and "EDITOR CHECK FAILED" not in screen
    tmux.keys("C-d")
    tmux.wait_for(lambda s: "Draft saved in Drafts." in s, timeout=30)
    tmux.keys("Escape")  # saved: closes without a question
    tmux.wait_for(lambda s: "Attach:" not in s)
    _open_folder(tmux, "Drafts")
    tmux.keys("g")
    tmux.wait_for(lambda s: "Tmux draft" in "".join(_list_lines(s)[:1]), timeout=30)
    tmux.keys("Enter")
    screen = tmux.wait_for(lambda s: "Attach:" in s and "Subject: Tmux draft" in s)
    assert "To: bob@example.test" in screen and "Written in the editor." in screen
    tmux.keys("C-s")
    tmux.wait_for(lambda s: "Attach:" not in s and "demo — Drafts" in s, timeout=30)
    tmux.wait_for(lambda s: "Tmux draft" not in s, timeout=30)  # gone from Drafts

    # s a s in one burst: flag + archive the top message, then flag the next one
    _open_folder(tmux, "INBOX")
    tmux.keys("g")
    screen = tmux.wait_for(lambda s: "Subject: Are you there?" in s)
    first, second, third = (row[3:] for row in _list_lines(screen)[:3])  # without flags
    assert "Are you there?" in first
    assert "★" not in "".join(row[:3] for row in _list_lines(screen)[:3]), screen
    tmux.keys("s", "a", "s")  # one send-keys: the app reads them together
    screen = tmux.wait_for(lambda s: "Archived (u to undo)" in s, timeout=30)
    screen = tmux.wait_for(lambda s: "★" in _list_lines(s)[0][:3], timeout=30)

    def archived_one_left(s: str) -> bool:  # a capture can fall between two rows' writes
        rows = _list_lines(s)
        return rows[0][3:] == second and rows[1][3:] == third

    screen = tmux.wait_for(archived_one_left, timeout=30)
    rows = _list_lines(screen)
    assert "★" not in rows[1][:3], rows  # only the message the cursor moved to
    assert "Something went wrong" not in screen and "no longer" not in screen, screen
    screen = _open_folder(tmux, "Archive")
    tmux.keys("g")
    screen = tmux.wait_for(lambda s: "Are you there?" in _list_lines(s)[0])
    assert "★" in _list_lines(screen)[0][:3], screen  # flagged before it was archived

    status, screen = quit_and_status(tmux, status_file)
    assert status == "0", f"exit status {status}; screen:\n{screen}"
    assert "Traceback" not in screen and "Fatal Python error" not in screen, screen
