"""Parsers of untrusted input are linear: adversarial inputs growing 10x take about 10x
the CPU time (a quadratic scan would take ~100x), and 2 MB of them parse inside the parse
budget instead of falling back to "took too long".

Timing is CPU time of this thread (a loaded machine slows the wall clock, not this), the
minimum of a few runs, and the bound on the ratio is generous (linear is 10, quadratic 100).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core.mime import parse_message
from tuimail.core.mime.html import html_to_text

SMALL, LARGE = 200_000, 2_000_000
MAX_RATIO = 35.0


def _plain(body: bytes) -> bytes:
    return b"From: a@b\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\n" + body


def unterminated_uuencode(size: int) -> bytes:
    """The reported case: `begin 644` lines and no `end` (the old regex searched to the
    end of the text from every one of them)."""
    line = b"begin 644 x.bin\r\n"
    return _plain(line * (size // len(line)))


def uuencode_then_unterminated(size: int) -> bytes:
    """Real blocks, then thousands of begins without an end."""
    block = b"begin 644 a.txt\r\n#86)C\r\n`\r\nend\r\n"
    half = size // 2
    return _plain(block * (half // len(block)) + b"begin 600 y\r\nM\r\n" * (half // 14))


def spaces_in_headers(size: int) -> bytes:
    """A part' file names with a long run of white space before no line break (part
    headers stay under their 1 MB limit: this case is sized 90 KB and 900 KB)."""
    part = (
        b"--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment;\r\n"
        b' filename="x' + b" " * (size * 45 // 100) + b'x.txt"\r\n\r\nhi\r\n'
    )
    head = b"From: a@b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    return head + part + b"--b--\r\n"


def unclosed_tags(size: int) -> str:
    """HTML whose tag scan would run to the end from every `<script` and `<`."""
    return "<script>" * (size // 16) + "<" * (size // 2)


CASES: dict[str, tuple[Callable[[int], object], Callable[[object], object]]] = {
    "uuencode-unterminated": (unterminated_uuencode, parse_message),
    "uuencode-mixed": (uuencode_then_unterminated, parse_message),
    "header-spaces": (spaces_in_headers, parse_message),
}


def _cpu(work: Callable[[], object], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.thread_time()
        work()
        best = min(best, time.thread_time() - start)
    return max(best, 1e-4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_parse_time_grows_linearly(name: str) -> None:
    make, parse = CASES[name]
    small, large = make(SMALL), make(LARGE)
    assert not parse(large).too_complex  # the whole input was really parsed
    ratio = _cpu(lambda: parse(large)) / _cpu(lambda: parse(small))
    assert ratio < MAX_RATIO, f"{name}: 10x the input took {ratio:.0f}x the time"


def test_html_tag_stripping_grows_linearly() -> None:
    from tuimail.core.mime.html import _strip_tags

    small, large = unclosed_tags(SMALL), unclosed_tags(LARGE)
    ratio = _cpu(lambda: _strip_tags(large)) / _cpu(lambda: _strip_tags(small))
    assert ratio < MAX_RATIO, f"10x the HTML took {ratio:.0f}x the time"
    assert html_to_text(unclosed_tags(20_000)).text is not None


@pytest.mark.parametrize("name", ["uuencode-unterminated", "uuencode-mixed"])
def test_two_megabytes_of_adversarial_uuencode_parse_within_the_budget(name: str) -> None:
    raw = CASES[name][0](LARGE)
    assert len(raw) >= 1_900_000
    pm = parse_message(raw)
    assert not pm.too_complex, pm.notes  # not the "took too long" fallback
    text = "".join(part.text for part in pm.body)
    assert "begin 6" in text  # the unterminated begins are kept as text
    if name == "uuencode-mixed":
        assert "[uuencoded attachment: a.txt]" in text
        assert pm.attachments and pm.attachments[0].filename == "a.txt"


# -- the scanner finds exactly what the old regular expression found ---------------------

_OLD_UU = re.compile(r"^begin [0-7]{3,4} ([^\n]+)\n(.*?)^end[ \t]*$", re.M | re.S)

_LINES = st.sampled_from(
    [
        "begin 644 a.txt",
        "begin 0600 two words.bin",
        "begin 64444 not-a-mode",
        "begin 644",
        "begin x44 y",
        "end",
        "end  \t",
        "endless",
        " end",
        "#86)C",
        "`",
        "",
        "plain text",
        "begin 755  spaced.sh",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=12), st.sampled_from(["\n", "\r\n", "\r"]))
def test_uuencode_scanner_agrees_with_the_old_expression(lines, newline) -> None:
    """Same blocks, same names, same text around them (on inputs small enough for the
    quadratic expression to serve as the oracle)."""
    from tuimail.core.mime.parse import MessageSummary, ParsedMessage, _Walker

    text = newline.join(lines)
    pm = ParsedMessage(raw=b"", summary=MessageSummary())
    got = _Walker(pm)._extract_uuencoded(text)
    names: list[str] = []

    def label(m: re.Match[str]) -> str:
        names.append(m.group(1).strip())
        return f"[uuencoded attachment: {m.group(1).strip()}]\n"

    if "begin " in text:
        expected = _OLD_UU.sub(label, text.replace("\r\n", "\n").replace("\r", "\n"))
    else:
        expected = text
    assert got == expected
    assert [a.filename for a in pm.attachments] == names
