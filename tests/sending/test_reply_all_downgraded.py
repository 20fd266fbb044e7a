"""Reply-all from the ASCII copy of a message sent to a UTF-8 address (RFC 6532).

A recipient whose server path has no SMTPUTF8 gets tuimail's ASCII copy, where
`Jörg Müller <jörg@example.org>` is an empty group showing that address in its name
(RFC 6857 style). Replying to all from that copy must reach Jörg too; an address is only
taken from what the header shows, never invented.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sending.helpers import account_for
from tuimail.core.compose import Draft, address_of, message_bytes, reply
from tuimail.core.mime.downgraded import recovered_addresses
from tuimail.core.mime.headers import decode_rfc2047
from tuimail.core.outbox import send_now
from tuimail.core.secrets import Secret

TIMEOUT = 30.0
JOERG = "jörg@example.org"


async def test_reply_all_from_the_ascii_copy_reaches_the_utf8_address(mail_peer) -> None:
    """End to end with the bytes tuimail sends: Alice writes to Jörg, Bob and Carol;
    Bob's copy has ASCII headers; Bob's reply-all from it goes to Alice, Jörg and Carol."""
    alice, bob, carol = mail_peer.new_user(), mail_peer.new_user(), mail_peer.new_user()
    sent_by_alice = Draft(
        to=[f"Jörg Müller <{JOERG}>", bob.email],
        cc=[f"Carol <{carol.email}>"],
        subject="Treffen",
        body="Morgen?\n",
        message_id="<treffen@example.test>",
    )
    account = account_for(mail_peer, alice)
    raw, sender, rcpts = message_bytes(sent_by_alice, account)
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=TIMEOUT)
    assert entry.state == "sent", entry.failure
    copy = mail_peer.wait_for_message(bob, lambda r: b"<treffen@example.test>" in r, TIMEOUT)
    assert copy.partition(b"\r\n\r\n")[0].isascii()  # the downgraded copy

    bobs = account_for(mail_peer, bob)
    draft = reply(copy, bobs, reply_all=True)
    everyone = {address_of(a) for a in draft.to + draft.cc}
    assert everyone == {alice.email, JOERG, carol.email}
    assert f"Jörg Müller <{JOERG}>" in [a.replace('"', "") for a in draft.to]

    raw, sender, rcpts = message_bytes(draft, bobs)
    entry = await send_now(raw, sender, rcpts, bobs, Secret(bob.password), timeout=TIMEOUT)
    assert entry.state == "sent", entry.failure
    assert JOERG in entry.delivered and alice.email in entry.delivered


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("=?utf-8?q?J=C3=B6rg_=3Cj=C3=B6rg=40example=2Eorg=3E?=:;", [("Jörg", JOERG)]),
        ("=?utf-8?q?j=C3=B6rg=40example=2Eorg?= :;", [("", JOERG)]),  # RFC 6857 3.1.10
        ('"Team (Jörg <jörg@example.org>)": ann@example.org;', [("Jörg", JOERG)]),
        ("undisclosed-recipients:;", []),
        ('"write to ann@example.org":;', []),  # an ASCII address in a name: words
        ('"Jörg <jörg@example.org>" <ann@example.org>', []),  # a name, not a group
        ('"see <jörg@exa mple.org> and more":;', []),  # not one whole address
        ("=?utf-8?q?j=C3=B6rg=40example=2Eorg?= <x", []),
    ],
)
def test_only_a_whole_utf8_address_in_a_group_name_is_recovered(value, found) -> None:
    assert recovered_addresses(value) == found


_text = st.text(st.characters(blacklist_categories=("Cs",)) | st.sampled_from(':;,<>"@()=?'))


@given(_text)
def test_a_recovered_address_is_always_written_in_the_header(value: str) -> None:
    """Never invented, never an exception: each address returned is in the decoded
    header text as written."""
    for _name, addr in recovered_addresses(value):
        assert addr in decode_rfc2047(value) or addr in value
        assert not addr.partition("@")[0].isascii()
