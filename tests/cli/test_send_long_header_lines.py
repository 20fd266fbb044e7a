"""`tuimail send` (sendmail mode) never sends a header line over 998 octets (RFC 5322
2.1.1): such a line is folded at white space, and one with nowhere to fold is refused
with a sentence before anything is queued."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cli.helpers import configure
from tuimail.__main__ import main
from tuimail.cli.exits import EXIT_USAGE
from tuimail.core.outbox import Outbox

WORDS = " ".join(f"word{i}" for i in range(300))  # about 2,400 characters


def test_a_long_header_line_is_folded_and_unfolds_to_what_was_written(
    mail_server, tmp_path, capsys
) -> None:
    bob = mail_server.new_user()
    configure(mail_server, mail_server.new_user())
    message = tmp_path / "m.eml"
    message.write_text(f"To: {bob.email}\nSubject: s\nX-Long: {WORDS}\n\nbody\n")
    assert main(["send", "-t", str(message)]) == 0, capsys.readouterr().err
    (raw,) = mail_server.messages(bob)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    header = raw.split(b"\r\n\r\n", 1)[0].decode()
    (field,) = re.findall(r"^X-Long:.*?(?=\r\n\S)", header, flags=re.M | re.S)
    assert field.replace("\r\n", "") == f"X-Long: {WORDS}"  # unfolding gives it back
    assert message_from_bytes(raw, policy=default)["X-Long"] == WORDS


def test_a_header_line_with_nowhere_to_fold_is_refused(mail_server, tmp_path, capsys) -> None:
    configure(mail_server, mail_server.new_user())
    message = tmp_path / "m.eml"
    message.write_text(f"To: b@example.org\nSubject: s\nX-Token: {'a' * 1200}\n\nbody\n")
    assert main(["send", "-t", str(message)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "the X-Token header has a line of 1201 characters" in err
    assert "Nothing was sent or queued" in err and Outbox("work").count() == 0


def test_header_lines_within_the_limit_are_sent_exactly_as_written(
    mail_server, tmp_path, capsys
) -> None:
    bob = mail_server.new_user()
    configure(mail_server, mail_server.new_user())
    line = "X-Wide: " + "x" * 990  # 998 octets: allowed, and not folded
    message = tmp_path / "m.eml"
    message.write_text(f"To: {bob.email}\nSubject: s\n{line}\n\nbody\n")
    assert main(["send", "-t", str(message)]) == 0, capsys.readouterr().err
    (raw,) = mail_server.messages(bob)
    assert f"\r\n{line}\r\n".encode() in raw


@given(
    st.lists(
        st.text(
            alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=990
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([" ", "\t", "  "]),
)
@settings(max_examples=60, deadline=None)
def test_folding_bounds_every_line_and_unfolds_to_the_input(words, space) -> None:
    from tuimail.cli.send import HeaderLineTooLong, _folded

    field = ("X-H:" + "".join(space + w for w in words)).encode()
    try:
        folded = _folded(field)
    except HeaderLineTooLong:
        return  # a word itself too long: refused, never sent
    assert all(len(line) <= 998 for line in folded.split(b"\r\n"))
    assert folded.replace(b"\r\n", b"") == field
    assert all(line.strip() for line in folded.split(b"\r\n"))
