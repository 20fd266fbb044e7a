"""A message forwarded as an attachment (message/rfc822) goes out as it was received,
byte for byte: the stdlib's writer dropped header lines it cannot read (": Leading
colon..." in a Thunderbird bug mail) and trailing blanks, so the recipient got another
message than the one forwarded."""

from __future__ import annotations

import pytest

from tests.corpus import CORPUS_DIR
from tests.sending.helpers import account_for, make_account, parse
from tuimail.core.compose import forward, message_bytes
from tuimail.core.outbox import send_now
from tuimail.core.secrets import Secret

ACCOUNT = make_account("me@example.test")


def _as_received(raw: bytes) -> bytes:
    """What a server gives for `raw`: CRLF line ends; an mbox `From ` line is no header."""
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    first, _, rest = raw.partition(b"\r\n")
    return rest if first.startswith(b"From ") else raw


# Messages the stdlib's writer changed: a header line it cannot read (": Leading
# colon"), trailing blanks, "Date:   ..." and "Subject:Hi" respaced, a boundary line's
# trailing space, bare CR line ends.
CHANGED_BY_THE_STDLIB = [
    "thunderbird-bugmail1.eml",
    "nodemailer-spam.eml",
    "meli-PATCH-Put-sha1dc-on-a-diet.msg15.eml",
    "flanker-disposition-notification.eml",
    "mimekit-multipart-digest.eml",
    "sisimai-mac_lhost-sendmail-01.eml",
]


@pytest.mark.parametrize("name", CHANGED_BY_THE_STDLIB)
def test_a_message_forwarded_as_attachment_goes_out_byte_for_byte(name: str) -> None:
    received = _as_received((CORPUS_DIR / name).read_bytes())
    draft = forward(received, ACCOUNT, as_attachment=True)
    draft.to = ["bob@example.org"]
    sent, _, _ = message_bytes(draft, ACCOUNT)
    assert received in sent
    attached = parse(sent).iter_attachments()
    assert [p.get_content_type() for p in attached] == ["message/rfc822"]


@pytest.mark.interop
async def test_an_unreadable_header_line_reaches_the_recipient_through_postfix(
    dovecot_peer,
) -> None:
    alice, bob = dovecot_peer.new_user(), dovecot_peer.new_user()
    account = account_for(dovecot_peer, alice)
    received = _as_received((CORPUS_DIR / "thunderbird-bugmail1.eml").read_bytes())
    assert b"\r\n: Leading colon caused a MOZ_RELEASE_ASSERT crash\r\n" in received
    draft = forward(received, account, as_attachment=True)
    draft.to = [bob.email]
    draft.subject = "forwarded as received"
    raw, sender, rcpts = message_bytes(draft, account)
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=30)
    assert entry.state == "sent"
    got = dovecot_peer.wait_for_message(bob, lambda m: b"forwarded as received" in m)
    assert received in got


def test_a_forward_as_attachment_saved_as_a_draft_and_reopened_is_still_as_received() -> None:
    """Reopening the draft read the attached message back through the stdlib, which
    dropped the ": Leading colon" line again: the forward sent after that was changed."""
    from tuimail.core.compose import draft_from_message
    from tuimail.core.drafts import DraftStore

    received = _as_received((CORPUS_DIR / "thunderbird-bugmail1.eml").read_bytes())
    draft = forward(received, ACCOUNT, as_attachment=True)
    draft.to = ["bob@example.org"]
    drafts = DraftStore("work")
    info = drafts.save(draft, ACCOUNT)  # local only: no password, no server
    reopened = draft_from_message((drafts.dir / f"{info.id}.eml").read_bytes())
    assert [a.data for a in reopened.attachments] == [received]
    sent, _, _ = message_bytes(reopened, ACCOUNT)
    assert received in sent
