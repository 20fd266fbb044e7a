"""An outbox entry written before failures were typed (a `last_error` sentence, no
`failure`) stays readable after the upgrade: listed with its text as it was written,
in `--json` too, and sent by `tuimail outbox --retry` (issue 13: no entry is lost)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import configure
from tuimail.__main__ import main
from tuimail.core.outbox import Outbox

OLD = Path(__file__).resolve().parents[1] / "data" / "outbox_before_typed_failures"
ENTRY = "20250101T090000-0badc0de"
OLD_WORDS = "the server answered 550 at MAIL FROM: 5.7.1 written by an older tuimail"


def _install_old_entry(sender: str, recipient: str) -> Outbox:
    box = Outbox("work")
    box.dir.mkdir(parents=True, exist_ok=True)
    for suffix in (".json", ".eml"):
        text = (OLD / f"{ENTRY}{suffix}").read_bytes()
        text = text.replace(b"SENDER", sender.encode()).replace(b"RECIPIENT", recipient.encode())
        (box.dir / f"{ENTRY}{suffix}").write_bytes(text)
    return box


def test_an_old_format_entry_is_listed_as_written_and_sent(mail_server, capsys) -> None:
    alice, bob = mail_server.new_user(), mail_server.new_user()
    configure(mail_server, alice)
    box = _install_old_entry(alice.email, bob.email)

    assert main(["outbox"]) == 0
    listing = capsys.readouterr().out
    assert ENTRY in listing and f"failed: {OLD_WORDS}" in listing
    assert main(["outbox", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert (entry["id"], entry["state"]) == (ENTRY, "failed")
    assert entry["last_error"] == OLD_WORDS and entry["failure"] is None

    assert main(["outbox", "--retry"]) == 0
    capsys.readouterr()
    sent = box.get(ENTRY)
    assert sent.state == "sent" and sent.delivered == [bob.email]
    assert sent.last_error is None and sent.failure is None
    (raw,) = mail_server.messages(bob)
    assert b"Still here after the upgrade." in raw
    assert box.entries() == []  # moved to sent/


def test_old_refusal_and_copy_texts_are_shown_as_written(mail_server, capsys) -> None:
    """An entry from before refusals and the Sent copy were data keeps their sentences:
    `--json` shows them as written (refused, sent_copy) and `copy` is null."""
    alice, bob = mail_server.new_user(), mail_server.new_user()
    configure(mail_server, alice)
    box = _install_old_entry(alice.email, bob.email)
    state = box.dir / f"{ENTRY}.json"
    data = json.loads(state.read_text("utf-8"))
    refusal = "not sent: the address is not ASCII and the server does not offer SMTPUTF8"
    data.update(refused={"jörg@example.org": refusal}, sent_copy="saved to Sent")
    state.write_text(json.dumps(data), "utf-8")

    assert main(["outbox", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["refused"] == {"jörg@example.org": refusal}
    assert (entry["sent_copy"], entry["copy"]) == ("saved to Sent", None)
    assert box.get(ENTRY).copy is None


def test_a_state_file_with_a_damaged_refusal_list_is_still_listed(mail_server, capsys) -> None:
    alice, bob = mail_server.new_user(), mail_server.new_user()
    configure(mail_server, alice)
    box = _install_old_entry(alice.email, bob.email)
    state = box.dir / f"{ENTRY}.json"
    data = json.loads(state.read_text("utf-8"))
    data.update(refused=["not", "an", "object"], copy="not an object either")
    state.write_text(json.dumps(data), "utf-8")

    assert main(["outbox", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["id"] == ENTRY and entry["refused"] == {} and entry["copy"] is None
    assert main(["outbox"]) == 0 and ENTRY in capsys.readouterr().out
