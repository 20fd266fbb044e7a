"""Sending for real against both test beds: delivery, threading, Sent and Drafts copies."""

from __future__ import annotations

import pytest

from tests.sending.helpers import account_for, parse
from tuimail.core.compose import (
    Attachment,
    Draft,
    forward,
    message_bytes,
    new_draft,
    reply,
)
from tuimail.core.drafts import DraftStore
from tuimail.core.outbox import Outbox, send_now
from tuimail.core.secrets import Secret
from tuimail.core.sent_copy import find_folder, login
from tuimail.words.sent import draft_saved, sent_copy

TIMEOUT = 20.0


def has_id(message_id: str):
    return lambda raw: message_id.encode() in raw


def folder_flags(account, user, use: str, message_id: str) -> tuple[str, set[bytes]]:
    """The flags of the message with that Message-ID in the Sent/Drafts folder (IMAP)."""
    client = login(account, Secret(user.password))
    try:
        folder = find_folder(client, use)  # type: ignore[arg-type]
        client.select_folder(folder, readonly=True)
        uids = client.search(["HEADER", "Message-ID", message_id])
        assert len(uids) == 1, f"{len(uids)} copies in {folder}"
        flags = client.get_flags(uids)[uids[0]]
        return folder, set(flags)
    finally:
        client.logout()


def decoded_parts(raw: bytes) -> list[tuple[str, str | None, bytes]]:
    msg = parse(raw)
    body = msg.get_body(preferencelist=("plain",))
    out = [("text/plain", None, body.get_content().replace("\r\n", "\n").encode())]
    for part in msg.iter_attachments():
        out.append((part.get_content_type(), part.get_filename(), part.get_payload(decode=True)))
    return out


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_sent_message_arrives_byte_identical_with_copy_in_sent(mail_peer, security) -> None:
    alice, bob = mail_peer.new_user(), mail_peer.new_user()
    account = account_for(mail_peer, alice, security=security, display_name="Alice Ängström")
    blob = bytes(range(256)) * 64
    draft = new_draft(account, to=[f"Bob Bäcker <{bob.email}>"], subject="Grüße ✓ dots")
    draft.body = "Hello Bob,\n.\n..\n.leading dot\n\ncafé\n" + draft.body
    draft.attachments = [
        Attachment("blob.bin", blob),
        Attachment("photo.png", b"\x89PNG\r\n\x1a\n" + blob[:3000]),
        Attachment("notes.txt", b"a\r\nb\rc\nd\r\n.\r\n..\r\n"),
        Attachment("Ünïcode.pdf", b"%PDF-1.4\n" + blob[:500]),
    ]
    raw, sender, rcpts = message_bytes(draft, account)
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "sent", entry.last_error
    assert entry.delivered == [bob.email]
    message_id = parse(raw)["Message-ID"]
    got = mail_peer.wait_for_message(bob, has_id(message_id), TIMEOUT)
    assert decoded_parts(got) == decoded_parts(raw)
    assert decoded_parts(got)[0][2].decode() == draft.body
    assert [a.data for a in draft.attachments] == [p[2] for p in decoded_parts(got)[1:]]
    received = parse(got)
    assert received["Subject"] == "Grüße ✓ dots"
    assert received["From"].addresses[0].display_name == "Alice Ängström"
    # A copy in Sent, seen; the outbox is empty and the local copy kept.
    folder, flags = folder_flags(account, alice, "sent", message_id)
    assert b"\\Seen" in flags
    assert entry.copy == {"outcome": "saved", "folder": folder}
    assert sent_copy(entry) == f"saved to {folder}"
    box = Outbox(account.name)
    assert box.entries() == []
    assert box.raw(entry.id) == raw
    assert box.get(entry.id).state == "sent"


async def test_reply_and_forward_threading(mail_peer) -> None:
    alice, bob, carol = mail_peer.new_user(), mail_peer.new_user(), mail_peer.new_user()
    a_acc = account_for(mail_peer, alice)
    b_acc = account_for(mail_peer, bob, name="bob")
    first = Draft(to=[bob.email], cc=[carol.email], subject="Plan", body="Shall we?\n")
    raw, sender, rcpts = message_bytes(first, a_acc)
    assert (await send_now(raw, sender, rcpts, a_acc, Secret(alice.password))).state == "sent"
    first_id = parse(raw)["Message-ID"]
    at_bob = mail_peer.wait_for_message(bob, has_id(first_id), TIMEOUT)

    answer = reply(at_bob, b_acc, reply_all=True)
    answer.body = "Yes!\n\n" + answer.body
    raw2, sender2, rcpts2 = message_bytes(answer, b_acc)
    assert sorted(rcpts2) == sorted([alice.email, carol.email])
    assert (await send_now(raw2, sender2, rcpts2, b_acc, Secret(bob.password))).state == "sent"
    reply_id = parse(raw2)["Message-ID"]
    got = parse(mail_peer.wait_for_message(alice, has_id(reply_id), TIMEOUT))
    assert got["Subject"] == "Re: Plan"
    assert got["In-Reply-To"] == first_id
    assert got["References"].split() == [first_id]
    assert "> Shall we?" in got.get_content()
    mail_peer.wait_for_message(carol, has_id(reply_id), TIMEOUT)

    fwd = forward(
        mail_peer.wait_for_message(alice, has_id(reply_id), TIMEOUT), a_acc, as_attachment=True
    )
    fwd.to = [carol.email]
    raw3, sender3, rcpts3 = message_bytes(fwd, a_acc)
    assert (await send_now(raw3, sender3, rcpts3, a_acc, Secret(alice.password))).state == "sent"
    got3 = parse(mail_peer.wait_for_message(carol, has_id(parse(raw3)["Message-ID"]), TIMEOUT))
    assert got3["Subject"] == "Fwd: Re: Plan"
    assert got3["References"].split() == [first_id, reply_id]
    (inner_part,) = list(got3.iter_attachments())
    assert inner_part.get_content_type() == "message/rfc822"
    assert inner_part.get_content()["Message-ID"] == reply_id


def test_draft_saved_on_server_and_locally_and_reopened(mail_peer) -> None:
    alice = mail_peer.new_user()
    account = account_for(mail_peer, alice)
    store = DraftStore(account.name)
    draft = Draft(
        to=["x@other.test"],
        bcc=["hidden@other.test"],
        subject="Unfinished ü",
        body="half a thought\n",
        attachments=[Attachment("a.bin", b"\x00\x01\x02")],
    )
    info = store.save(draft, account, Secret(alice.password))
    assert info.server_failure is None and not info.server_failed
    assert draft_saved(info) == f"Draft saved in {info.server_folder}."
    folder, flags = folder_flags(account, alice, "drafts", draft.message_id)
    assert b"\\Draft" in flags and folder == info.server_folder
    # Saving again replaces the server copy (same Message-ID, one copy).
    draft.body = "a whole thought\n"
    info2 = store.save(draft, account, Secret(alice.password), draft_id=info.id)
    assert info2.id == info.id
    folder_flags(account, alice, "drafts", draft.message_id)  # asserts exactly one
    assert [i.id for i in store.list()] == [info.id]
    reopened = store.open(info.id)
    assert reopened.body == "a whole thought\n"
    assert reopened.bcc == ["hidden@other.test"]
    assert reopened.attachments[0].data == b"\x00\x01\x02"
    assert reopened.message_id == draft.message_id
