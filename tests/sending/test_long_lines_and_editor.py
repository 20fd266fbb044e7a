"""Long lines go out as format=flowed (RFC 3676): readers re-wrap them and get the text
back exactly; and the file handed to $EDITOR has the headers and ends with a newline,
and is read back safely (a bad address is refused with a sentence, not sent)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.sending.helpers import make_account, parse
from tuimail.core.compose import (
    Draft,
    EditorError,
    build_message,
    editor_template,
    flow,
    parse_editor_text,
)
from tuimail.core.mime import parse_message
from tuimail.core.mime.quotes import unflow

LONG = "This sentence is long enough to need wrapping on any terminal, " * 4


def _hard(text: str) -> str:
    """What flowed text carries: each line without its trailing spaces, and quote
    markers in their one written form ('>0' and '> 0' are both depth 1, '0')."""
    out = []
    for line in text.split("\n"):
        if line == "-- ":
            out.append(line)
            continue
        line = line.rstrip(" ")
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if depth and content.startswith(" "):
            content = content[1:]
        out.append(">" * depth + (" " if depth and content else "") + content)
    return "\n".join(out)


def test_a_long_line_is_sent_flowed_and_read_back_whole() -> None:
    body = f"Hello,\n\n{LONG.strip()}\n> {LONG.strip()}\n\n-- \nAda\n"
    msg = parse(bytes(build_message(Draft(to=["b@example.test"], body=body), make_account())))
    assert msg.get_content_type() == "text/plain"
    assert msg.get_param("format") == "flowed"
    wire = msg.get_content().replace("\r\n", "\n")
    assert max(len(line) for line in wire.split("\n")) <= 78
    assert unflow(wire) == _hard(body)
    # the app's own reader sees a flowed part and joins it again
    (part,) = parse_message(
        bytes(build_message(Draft(to=["b@x.test"], body=body), make_account()))
    ).body
    assert part.flowed and LONG.strip() in unflow(part.text.replace("\r\n", "\n"))


def test_short_lines_are_sent_as_written() -> None:
    msg = parse(bytes(build_message(Draft(to=["b@example.test"], body="Short.\n"), make_account())))
    assert msg.get_param("format") is None
    assert msg.get_content() == "Short.\r\n"


_line = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r\n"),
    max_size=200,
)


@given(st.lists(_line, max_size=12))
def test_flowed_text_unflows_to_the_original(lines: list[str]) -> None:
    text = "\n".join(lines)
    flowed = flow(text)
    assert unflow(flowed) == _hard(text)
    for line in flowed.split("\n"):
        assert len(line) <= 78 or " " not in line.strip(" ").lstrip(">").strip()


def test_the_editor_file_has_the_headers_and_ends_with_a_newline() -> None:
    draft = Draft(to=["Bob <bob@example.test>"], subject="Plans", body="No newline at the end")
    text = editor_template(draft, fields=("To", "Cc", "Bcc", "Subject"))
    assert text.startswith("To: Bob <bob@example.test>\nCc: \nBcc: \nSubject: Plans\n\n")
    assert text.endswith("No newline at the end\n")
    edited = text.replace("Subject: Plans", "Subject: New plans").replace("Cc: ", "Cc: c@x.org")
    back = parse_editor_text(edited)
    assert (back.subject, back.cc, back.to) == ("New plans", ["c@x.org"], draft.to)
    with pytest.raises(EditorError) as info:
        parse_editor_text(text.replace("To: Bob <bob@example.test>", "To: bob"))
    assert (info.value.problem, info.value.data) == ("not-an-address", {"address": "bob"})
