"""Identities (tuimail.core.identities): a reply is written as the address the message was
sent to, with that identity's name and signature; every identity is left out of a
reply-all; the config checks the table; sending goes through the account's server with
the identity's address as From and as envelope sender."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sending.helpers import account_for, parse, tuimail, with_password
from tuimail.core.compose import forward, message_bytes, new_draft, parse_raw, reply
from tuimail.core.config import ConfigError, account_from_dict
from tuimail.core.identities import addressed_to, identities, swap_signature
from tuimail.core.outbox import send_now
from tuimail.core.secrets import Secret
from tuimail.words.config import config_words

WORK = {"email": "alice@work.example", "name": "Alice at Work", "signature": "Alice, Team Lead"}
LISTS = {"email": "lists@home.example", "signature": ""}


def _account(**extra):
    table = {
        "email": "alice@home.example",
        "name": "Alice",
        "signature": "Alice at home",
        "incoming": {"host": "imap.home.example"},
        "outgoing": {"host": "smtp.home.example"},
        "aliases": ["old@home.example"],
        "identities": [WORK, LISTS],
        **extra,
    }
    return account_from_dict("home", table)


def _message(headers: str) -> bytes:
    return (
        "From: Bob <bob@elsewhere.example>\r\nSubject: Plan\r\n"
        "Message-ID: <plan@elsewhere.example>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n"
        f"{headers}\r\nShall we?\r\n"
    ).encode()


def test_the_account_address_comes_first_and_identities_inherit_what_they_lack():
    mine = identities(_account())
    assert [(i.email, i.name, i.signature) for i in mine] == [
        ("alice@home.example", "Alice", "Alice at home"),
        ("alice@work.example", "Alice at Work", "Alice, Team Lead"),
        ("lists@home.example", "Alice", None),  # signature = "" means none
    ]


def test_a_reply_comes_from_the_identity_the_message_was_sent_to():
    draft = reply(_message("To: Alice <Alice@Work.example>\r\n"), _account())
    assert draft.from_addr == "Alice at Work <alice@work.example>"
    assert draft.body.endswith("\n-- \nAlice, Team Lead\n")
    assert "Alice at home" not in draft.body


def test_cc_then_delivered_to_name_the_identity_when_to_does_not():
    cc = _message("To: team@elsewhere.example\r\nCc: alice@work.example\r\n")
    assert reply(cc, _account()).from_addr == "Alice at Work <alice@work.example>"
    listed = _message(
        "To: dev@lists.example\r\nDelivered-To: lists@home.example\r\n"
        "List-Post: <mailto:dev@lists.example>\r\n"
    )
    draft = reply(listed, _account())
    assert draft.from_addr == "Alice <lists@home.example>"
    assert "-- \n" not in draft.body  # this identity has no signature


def test_a_follow_up_to_ones_own_message_is_written_as_its_writer():
    own = _message("To: carol@elsewhere.example\r\n").replace(
        b"From: Bob <bob@elsewhere.example>", b"From: Alice at Work <alice@work.example>"
    )
    draft = reply(own, _account())
    assert draft.from_addr == "Alice at Work <alice@work.example>"
    assert draft.to == ["carol@elsewhere.example"]


def test_a_message_to_none_of_them_is_answered_as_the_account():
    draft = reply(_message("To: someone@elsewhere.example\r\n"), _account())
    assert draft.from_addr == "Alice <alice@home.example>"
    assert draft.body.endswith("\n-- \nAlice at home\n")


def test_reply_all_leaves_out_every_identity_and_alias():
    raw = _message(
        "To: alice@work.example, carol@elsewhere.example\r\n"
        "Cc: lists@home.example, old@home.example, alice@home.example\r\n"
    )
    draft = reply(raw, _account(), reply_all=True)
    everyone = " ".join(draft.to + draft.cc)
    assert "bob@elsewhere.example" in everyone and "carol@elsewhere.example" in everyone
    for own in ("alice@work.example", "lists@home.example", "old@home.example", "alice@home"):
        assert own not in everyone.lower()


def test_a_forward_is_written_as_the_identity_too():
    draft = forward(_message("To: alice@work.example\r\n"), _account())
    assert draft.from_addr == "Alice at Work <alice@work.example>"


def test_the_headers_read_are_the_messages_not_a_forged_display_name():
    raw = _message('To: "alice@work.example" <bob@elsewhere.example>\r\n')
    assert addressed_to(parse(raw), _account()).email == "alice@home.example"


def test_switching_identity_swaps_only_the_signature_block():
    body = "Hello\n\n-- \nAlice at home\n"
    assert swap_signature(body, "Alice at home", "Alice, Team Lead") == (
        "Hello\n\n-- \nAlice, Team Lead\n"
    )
    assert swap_signature(body, "Alice at home", None) == "Hello\n"
    assert swap_signature("Hello\n", None, "Sig") == "Hello\n\n-- \nSig\n"
    edited = "Hello\n\n-- \nmy own words\n"
    assert swap_signature(edited, "Alice at home", "Sig") == edited


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("alice@work.example", "must be a list"),
        (["alice@work.example"], "must be a table"),
        ([{"name": "No address"}], "needs an 'email' address"),
        ([{"email": "a@b.example", "signatur": "x"}], "did you mean signature?"),
        ([{"email": "a@b.example", "name": 3}], "'name' must be a quoted string"),
    ],
)
def test_a_bad_identities_table_is_a_sentence(value, problem):
    with pytest.raises(ConfigError) as caught:
        _account(identities=value)
    assert caught.value.problem.startswith("identit")
    assert "identit" in config_words(caught.value)
    assert problem in config_words(caught.value)


async def test_a_reply_goes_out_through_the_account_as_the_identity(mail_server):
    alice = mail_server.new_user()
    identity = {"email": "alice.work@example.test", "name": "Alice W", "signature": "-- work"}
    account = account_for(mail_server, alice, display_name="Alice")
    account.extra["identities"] = [identity]
    original = _message(f"To: {identity['email']}\r\n")
    mail_server.deliver(alice, original)
    draft = reply(mail_server.messages(alice)[0], account)
    raw, sender, rcpts = message_bytes(draft, account)
    assert sender == "alice.work@example.test" and rcpts == ["bob@elsewhere.example"]
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=20)
    assert entry.state == "sent", entry.last_error
    [(mail_from, rcpt, sent)] = [o for o in mail_server.outbound if o[1] == rcpts[0]]
    assert mail_from == "alice.work@example.test"
    assert parse(sent)["From"] == "Alice W <alice.work@example.test>"


async def test_a_reply_as_an_identity_arrives_from_it(mail_peer):
    alice, bob = mail_peer.new_user(), mail_peer.new_user()
    domain = alice.email.rpartition("@")[2]
    identity = {"email": f"{alice.email.split('@')[0]}.work@{domain}", "name": "Alice W"}
    account = account_for(mail_peer, alice, display_name="Alice")
    account.extra["identities"] = [identity]
    mail_peer.deliver(
        alice,
        (
            f"From: Bob <{bob.email}>\r\nTo: {identity['email']}\r\nSubject: Plan\r\n"
            "Message-ID: <peer-plan@example.test>\r\n\r\nShall we?\r\n"
        ).encode(),
    )
    draft = reply(mail_peer.messages(alice)[0], account)
    raw, sender, rcpts = message_bytes(draft, account)
    assert sender == identity["email"] and rcpts == [bob.email]
    entry = await send_now(raw, sender, rcpts, account, Secret(alice.password), timeout=20)
    assert entry.state == "sent", entry.last_error
    got = parse(mail_peer.wait_for_message(bob, lambda m: b"peer-plan" in m, 20))
    assert got["From"] == f"Alice W <{identity['email']}>"


def test_a_new_message_is_from_the_account_unless_an_identity_is_given():
    account = _account()
    assert new_draft(account).from_addr == "Alice <alice@home.example>"
    work = identities(account)[1]
    draft = new_draft(account, identity=work)
    assert draft.from_addr == "Alice at Work <alice@work.example>"
    assert draft.body.endswith("-- \nAlice, Team Lead\n")


def test_tuimail_send_picks_the_account_of_an_identity_and_sends_as_it(mail_server, tmp_path):
    work, home = mail_server.new_user(), mail_server.new_user()
    with_password(account_for(mail_server, work, name="work"), tmp_path, work.password)
    account = account_for(mail_server, home, name="home")
    account.extra["identities"] = [{"email": "home.lists@example.test", "name": "Home Lists"}]
    (tmp_path / "home").mkdir()
    with_password(account, tmp_path / "home", home.password)
    raw = (
        b"From: Home Lists <Home.Lists@example.test>\nTo: ext@elsewhere.example\n"
        b"Subject: As an identity\nMessage-ID: <as-identity@example.test>\n\nHello\n"
    )
    result = tuimail("send", "ext@elsewhere.example", stdin=raw)
    assert result.returncode == 0, result.stderr.decode()
    [(mail_from, _rcpt, sent)] = [o for o in mail_server.outbound if b"as-identity" in o[2]]
    assert mail_from == "home.lists@example.test"  # the identity, through the home account
    assert parse(sent)["From"].addresses[0].addr_spec == "Home.Lists@example.test"


def test_compose_from_an_unknown_address_is_refused_with_the_known_ones(mail_server, tmp_path):
    user = mail_server.new_user()
    account = account_for(mail_server, user, name="home")
    account.extra["identities"] = [{"email": "home.lists@example.test"}]
    with_password(account, tmp_path, user.password)
    result = tuimail("compose", "--from", "nobody@example.test", "--to", "a@example.test")
    assert result.returncode == 2
    error = result.stderr.decode()
    assert "no account or identity has the address 'nobody@example.test'" in error
    assert "home.lists@example.test" in error and user.email in error


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["From", "To", "Cc", "Delivered-To", "X-Original-To"]),
    st.binary(max_size=200),
)
def test_any_recipient_header_bytes_give_an_identity_never_an_error(name, value):
    raw = b"Subject: s\r\n" + name.encode() + b": " + value + b"\r\n\r\nbody\r\n"
    found = addressed_to(parse_raw(raw), _account())
    assert found.account == "home"


def test_an_encoded_line_break_in_a_name_still_finds_the_identity():
    raw = _message("To: =?utf-8?q?Ali=0D=0AX-Evil:_1?= <alice@work.example>\r\n")
    assert addressed_to(parse_raw(raw), _account()).email == "alice@work.example"
