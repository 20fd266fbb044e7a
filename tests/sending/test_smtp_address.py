"""Envelope addresses: IDNA domains, SMTPUTF8 local parts, refusals that are final."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuimail.core.smtp_address import AddressError, envelope_address, plan_envelope


def test_domain_goes_out_in_a_labels_and_local_part_is_untouched() -> None:
    address = envelope_address("<Jörg@Bücher.Example>")
    assert address.wire == "Jörg@xn--bcher-kva.example"
    assert address.needs_smtputf8
    assert not envelope_address("ann@bücher.example").needs_smtputf8


@pytest.mark.parametrize(
    "bad",
    [
        "no-at-sign",
        "@example.org",
        "a@",
        "a@exa\u200bmple..org",
        "b@x..org",  # an empty domain label: Postfix refused it at RCPT (501 5.1.3)
        "b@.example.org",
        "b@example.org.",
        # more than one mailbox: Postfix delivered "<a@x,b@y>" to a@x alone
        "a@example.org,b@example.org",
        "Bob <b@example.org>, c@example.org",
        "a@example.org b@example.org",
        "Bob <b@example.org>",
    ],
)
def test_unusable_addresses_are_address_errors(bad: str) -> None:
    with pytest.raises(AddressError):
        envelope_address(bad)


@pytest.mark.parametrize(
    "good", ['"odd, name"@example.org', "a+tag@example.org", "a@[192.0.2.1]", "jörg@bücher.example"]
)
def test_one_mailbox_with_quotes_tags_or_a_literal_is_kept(good: str) -> None:
    assert envelope_address(good).original == good


def test_without_smtputf8_utf8_recipients_are_refused_and_others_kept() -> None:
    plan = plan_envelope(
        "me@example.org", ["jörg@example.org", "ann@bücher.example"], server_smtputf8=False
    )
    assert [r.wire for r in plan.recipients] == ["ann@xn--bcher-kva.example"]
    assert plan.refused == {"jörg@example.org": {"problem": "needs-smtputf8", "detail": ""}}
    assert not plan.smtputf8
    with pytest.raises(AddressError) as raised:
        plan_envelope("jörg@example.org", ["ann@example.org"], server_smtputf8=False)
    assert raised.value.problem == "needs-smtputf8"


def test_smtputf8_is_asked_for_only_when_needed_and_offered() -> None:
    assert plan_envelope("me@a.org", ["jörg@a.org"], server_smtputf8=True).smtputf8
    assert not plan_envelope("me@a.org", ["ann@bücher.org"], server_smtputf8=True).smtputf8
    assert plan_envelope("me@a.org", ["b@a.org"], server_smtputf8=True, utf8_headers=True).smtputf8


@given(
    st.text(max_size=60)
    | st.builds(lambda a, b: f"{a}@{b}", st.text(max_size=20), st.text(max_size=30))
)
def test_any_string_is_an_address_or_an_address_error(text: str) -> None:
    try:
        address = envelope_address(text)
    except AddressError:
        return
    local, _, domain = address.wire.rpartition("@")
    assert domain.isascii() or not address.wire
    assert address.needs_smtputf8 == (not local.isascii())
    assert "\r" not in address.wire and "\n" not in address.wire
