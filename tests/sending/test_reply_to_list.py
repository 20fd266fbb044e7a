"""Reply to list (L): the reply goes to the List-Post address (RFC 2369) only; a message
without one, or whose list takes no posts, gets a sentence instead of a wrong recipient;
a hostile List-Post never yields more than one plain address."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuimail.core.account import Account, ServerSettings
from tuimail.core.compose import NoListAddress, list_post, parse_raw, reply

ME = Account(
    name="me",
    email="me@example.test",
    incoming=ServerSettings("imap.example.test", 993, "tls"),
    outgoing=ServerSettings("smtp.example.test", 465, "tls"),
)


def _message(list_post_value: str | None) -> bytes:
    head = (
        "From: Ana <ana@example.test>\r\nTo: dev@lists.example.test\r\n"
        "Cc: bob@example.test\r\nSubject: [dev] Release\r\nMessage-ID: <m1@example.test>\r\n"
    )
    if list_post_value is not None:
        head += f"List-Post: {list_post_value}\r\n"
    return (head + "\r\nHello\r\n").encode()


def test_the_reply_goes_to_the_list_only_and_keeps_the_thread():
    draft = reply(_message("<mailto:dev@lists.example.test>"), ME, to_list=True)
    assert draft.to == ["dev@lists.example.test"] and draft.cc == []
    assert draft.subject == "Re: [dev] Release" and draft.in_reply_to == "<m1@example.test>"


def test_a_mailto_with_a_query_and_a_web_alternative():
    value = "<https://lists.example.test/post>, <mailto:dev@lists.example.test?subject=x>"
    assert list_post(parse_raw(_message(value))) == "dev@lists.example.test"


def test_no_list_post_and_list_post_no_are_refused():
    with pytest.raises(NoListAddress) as none:
        reply(_message(None), ME, to_list=True)
    assert none.value.why == "no-list-post"
    with pytest.raises(NoListAddress) as no:
        reply(_message("NO (posting not allowed on this list)"), ME, to_list=True)
    assert no.value.why == "posts-refused"


@given(st.text(max_size=200))
def test_a_hostile_list_post_gives_one_plain_address_or_none(value):
    value = value.replace("\r", " ").replace("\n", " ")
    try:
        found = list_post(parse_raw(_message(value)))
    except NoListAddress:
        return
    assert found is None or ("@" in found and not any(c in found for c in " ,\r\n<>"))
