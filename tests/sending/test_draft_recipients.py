"""A reopened draft keeps its recipients as they were left, half-typed ones included (they
used to vanish: 'To: carol' came back empty); sending still refuses them by name."""

from __future__ import annotations

from tuimail.core.compose import draft_from_message


def test_half_typed_recipients_survive_a_saved_draft() -> None:
    raw = (
        b"From: Alice <alice@example.test>\r\nTo: carol, Bob <bob@example.test>\r\n"
        b"Cc: dave@\r\nBcc: =?utf-8?q?Zo=C3=AB?=\r\nSubject: x\r\n\r\nbody\r\n"
    )
    draft = draft_from_message(raw)
    assert draft.to == ["carol", "Bob <bob@example.test>"]
    assert draft.cc == ["dave@"]
    assert draft.bcc == ["Zoë"]
