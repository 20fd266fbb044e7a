"""Emoji sequences keep their joiners; the same characters elsewhere stay escaped."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tuimail.core.sanitize import is_safe, sanitize

FAMILY = "\U0001f469\u200d\U0001f4bb"  # woman technologist
RAINBOW = "\U0001f3f3\ufe0f\u200d\U0001f308"  # rainbow flag (VS16 before the joiner)
ASTRONAUT = "\U0001f468\U0001f3fd\u200d\U0001f680"  # skin tone before the joiner
ENGLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"


def test_joiners_and_tags_inside_emoji_sequences_are_kept():
    for emoji in (FAMILY, RAINBOW, ASTRONAUT, ENGLAND):
        assert sanitize(f"Team {emoji} party") == f"Team {emoji} party"
        assert is_safe(emoji)


def test_joiners_and_tags_outside_emoji_sequences_stay_escaped():
    assert sanitize("a\u200db") == "a\\u200db"
    assert sanitize("\U0001f4bb\u200d") == "\U0001f4bb\\u200d"
    assert sanitize("\u200d\U0001f4bb") == "\\u200d\U0001f4bb"
    assert sanitize("x\U000e0067\U000e007f") == "x\\U000e0067\\U000e007f"
    assert sanitize("\U0001f3f4\U000e0067") == "\U0001f3f4\\U000e0067"  # no CANCEL TAG
    assert sanitize("\U0001f469\u200d\u202e\U0001f4bb") == "\U0001f469\\u200d\\u202e\U0001f4bb"


alphabet = st.sampled_from(
    ["\u200d", "\ufe0f", "\U0001f469", "\U0001f4bb", "\U0001f3f4", "\U000e0067", "\U000e007f",
     "\u202e", "\u2066", "\x1b", "a", " "]
)  # fmt: skip


@given(st.lists(alphabet, max_size=12).map("".join))
def test_sanitize_still_removes_bidi_and_controls_and_is_idempotent(text):
    out = sanitize(text)
    assert "\u202e" not in out and "\u2066" not in out and "\x1b" not in out
    assert sanitize(out) == out
    for i, ch in enumerate(out):
        if ch == "\u200d":  # only ever between two pictographs (modifiers allowed before)
            before = out[:i].rstrip("\ufe0f")
            assert before and before[-1] in "\U0001f469\U0001f4bb\U0001f3f4"
            assert out[i + 1] in "\U0001f469\U0001f4bb\U0001f3f4"
