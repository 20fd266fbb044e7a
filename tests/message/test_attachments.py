"""Saving attachments: sanitized names, exclusive create, symlinks not followed;
opening only with a display."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest

from tuimail.core.mime import AttachmentError, open_attachment, parse_message, save_attachment
from tuimail.core.mime.parse import Attachment, ParsedMessage
from tuimail.core.mime.summary import MessageSummary
from tuimail.words.attachments import opened

DATA = Path(__file__).resolve().parents[1] / "data" / "messages"


def message_with(*names: str) -> ParsedMessage:
    pm = ParsedMessage(raw=b"", summary=MessageSummary())
    for i, name in enumerate(names, 1):
        pm.attachments.append(Attachment(i, name, "application/octet-stream", f"data {i}".encode()))
    return pm


def test_hostile_names_stay_inside_directory(tmp_path: Path) -> None:
    parsed = parse_message(next(DATA.glob("*path-traversal-names.eml")).read_bytes())
    target = tmp_path / "save"
    target.mkdir()
    saved = [save_attachment(parsed, a.index, target) for a in parsed.attachments]
    names = [p.name for p in saved]
    for path in saved:
        assert path.parent == target and path.is_file()
    assert names[:5] == ["etc_passwd", "boot.ini", "bashrc", "_CON", "_nul.txt"]
    assert all(not n.startswith((".", "-")) for n in names)
    assert all(len(n.encode()) <= 200 for n in names)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["save"]


def test_bidi_filename_is_neutralised(tmp_path: Path) -> None:
    parsed = parse_message(next(DATA.glob("*bidi-filename.eml")).read_bytes())
    path = save_attachment(parsed, 1, tmp_path)
    assert path.name == "invoice_fdp.exe"
    assert path.read_bytes().startswith(b"MZ")


def test_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(b"precious")
    pm = message_with("report.pdf", "report.pdf")
    first = save_attachment(pm, 1, tmp_path)
    second = save_attachment(pm, 2, tmp_path)
    assert (first.name, second.name) == ("report (1).pdf", "report (2).pdf")
    assert (tmp_path / "report.pdf").read_bytes() == b"precious"
    assert first.read_bytes() == b"data 1"


def test_symlink_is_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    target = tmp_path / "downloads"
    target.mkdir()
    os.symlink(victim, target / "notes.txt")
    os.symlink(tmp_path / "nowhere", target / "dangling.txt")
    pm = message_with("notes.txt", "dangling.txt")
    path = save_attachment(pm, 1, target)
    assert path.name == "notes (1).txt" and not path.is_symlink()
    assert victim.read_bytes() == b"keep me"
    path2 = save_attachment(pm, 2, target)
    assert path2.name == "dangling (1).txt"
    assert not (tmp_path / "nowhere").exists()


def test_errors_are_typed_and_worded_at_the_edge(tmp_path: Path) -> None:
    from tuimail.words.attachments import attachment_words

    pm = message_with("a.txt")
    with pytest.raises(AttachmentError) as none:
        save_attachment(pm, 5, tmp_path)
    assert (none.value.problem, none.value.data) == ("no-such", {"index": 5})
    assert attachment_words(none.value) == "There is no attachment number 5."
    with pytest.raises(AttachmentError) as missing:
        save_attachment(pm, 1, tmp_path / "missing")
    assert missing.value.problem == "folder"
    assert attachment_words(missing.value) == (
        f"Cannot open the folder {tmp_path / 'missing'}: No such file or directory."
    )


def test_open_without_display_saves_and_says_where(tmp_path: Path) -> None:
    pm = message_with("doc.pdf")
    msg = open_attachment(pm, 1, tmp_path, env={"SSH_CONNECTION": "1 2 3 4"})
    assert (msg.outcome, msg.path) == ("no-display", str(tmp_path / "doc.pdf"))
    assert opened(msg) == f"No display available; saved to {tmp_path / 'doc.pdf'}."
    assert (tmp_path / "doc.pdf").read_bytes() == b"data 1"


def test_open_with_display_uses_the_users_mailcap(tmp_path: Path) -> None:
    marker = tmp_path / "viewer-ran"
    home = Path(os.environ["HOME"])  # the per-test HOME from conftest
    (home / ".mailcap").write_text(f"application/x-tuimail-test; cp %s {marker}\n")
    pm = message_with("doc.bin")
    pm.attachments[0].content_type = "application/x-tuimail-test"
    saved = tmp_path / "out"
    saved.mkdir()
    msg = open_attachment(pm, 1, saved, env={"DISPLAY": ":99"})
    assert (msg.outcome, msg.path) == ("opened", str(saved / "doc.bin"))
    assert opened(msg) == f"Opened {saved / 'doc.bin'}."
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_bytes() == b"data 1":
            break
        time.sleep(0.05)  # polling for a process we do not own; no event to wait on
    assert marker.read_bytes() == b"data 1"


def test_a_file_to_attach_that_cannot_be_read_is_typed_and_worded(tmp_path: Path) -> None:
    """Sending with an attachment that is gone: nothing is queued; the facade's failure
    carries the path and the OS's words, and the sentence is the edge's."""
    from tuimail.core.account import Account, ServerSettings
    from tuimail.core.secrets import Secret
    from tuimail.core.service import Draft, MailService, ServiceError
    from tuimail.core.store import Store
    from tuimail.words.describe import describe

    account = Account(  # never contacted: the draft fails before the outbox
        name="work",
        email="me@example.test",
        incoming=ServerSettings("127.0.0.1", 9, "tls"),
        outgoing=ServerSettings("127.0.0.1", 9, "tls"),
    )
    service = MailService(
        {"work": account},
        password_for=lambda a: Secret("x"),
        idle=False,
        store=Store(tmp_path / "s.db"),
    )
    gone = tmp_path / "gone.pdf"
    draft = Draft(account="work", to="you@example.test", attachments=[str(gone)])
    with pytest.raises(ServiceError) as failed:
        service.send(draft)
    assert failed.value.reason == "attachment"
    assert failed.value.data["error"].data == {
        "path": str(gone),
        "detail": "No such file or directory",
    }
    assert (
        describe(failed.value) == f"Cannot read the attachment {gone}: No such file or directory."
    )


def test_a_name_looking_like_markup_is_saved_as_that_name(tmp_path: Path) -> None:
    parsed = message_with("[bold]x[/].pdf", "[@click=app.quit()]y[/]")
    saved = [save_attachment(parsed, a.index, tmp_path) for a in parsed.attachments]
    assert [p.name for p in saved] == ["[bold]x[_].pdf", "[@click=app.quit()]y[_]"]
    assert [p.read_bytes() for p in saved] == [b"data 1", b"data 2"]


@pytest.mark.parametrize("cte", [b"base64 ", b" BASE64\t", b"base64 (encoded)", b"Base64"])
def test_a_file_is_decoded_whatever_the_spelling_of_its_encoding(cte: bytes) -> None:
    """The stdlib decodes only an exact "base64": with a blank after it (seen in real
    mail) the saved file was the base64 text, and quoted-printable text showed as =C3=A9."""
    data = bytes(range(256)) * 3
    raw = (
        b"From: a@example.test\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; "
        b"charset=utf-8\r\nContent-Transfer-Encoding: Quoted-Printable \r\n\r\ncaf=C3=A9\r\n"
        b"--b\r\nContent-Type: application/octet-stream; name=f.bin\r\n"
        b"Content-Transfer-Encoding: " + cte + b"\r\n\r\n"
        + base64.encodebytes(data).replace(b"\n", b"\r\n") + b"--b--\r\n"
    )  # fmt: skip
    parsed = parse_message(raw)
    assert [a.payload for a in parsed.attachments] == [data]
    assert [b.text.strip() for b in parsed.body] == ["café"]
