"""The one way untrusted text reaches Textual: sanitised, and never parsed as markup.

Textual parses ``[...]`` in plain strings given to ``notify``, ``Label``, ``Static``,
``Button``, ``OptionList`` options and ``Tree`` labels as content markup: a subject or a
file name like ``[@click=app.screenshot('x.svg','.')]a.pdf`` would become a clickable
action, ``[/]`` raises, and a server's ``[ALERT]`` vanishes. Every string that came
from a message, a server, a file name or the config therefore goes through here:

* :func:`plain` -> a ``Content`` (Label, Static, Button, Option, ``update``);
* :func:`plain_text` -> a Rich ``Text`` (Tree labels, Rich tables);
* :func:`notify` -> a notification with markup off;
* :func:`markup_literal` -> an escaped string where Textual accepts nothing but markup
  (the command palette's system commands);
* :func:`cell_text` -> a string for a fixed-width column drawn as a Strip (the message
  list's Line API, which parses no markup).

Each also runs :func:`tuimail.core.sanitize.sanitize`, so ESC/OSC and bidi controls
never reach the terminal. A test (tests/ui/test_plain_text_scan.py) fails when a widget
is given an f-string, concatenation or variable as markup instead.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.content import Content

from tuimail.core.sanitize import sanitize

__all__ = ["cell_text", "markup_literal", "notify", "plain", "plain_text"]

# What joins or modifies an emoji (ZERO WIDTH JOINER, variation selectors, skin tones, tag
# characters): terminals disagree on how wide the result is (tmux 3.3 draws ❤️ in one cell
# and 👍🏽 in four where Rich counts two and two), so in a column they shift what follows.
_WIDTH_AMBIGUOUS = dict.fromkeys(
    [0x200D, 0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400), *range(0xE0020, 0xE0080)]
)


def plain(text: object, *, multiline: bool = False, style: str = "") -> Content:
    """``text`` sanitised, as Content that is shown literally (brackets and all)."""
    return (
        Content.styled(sanitize(str(text), multiline=multiline), style)
        if style
        else Content(sanitize(str(text), multiline=multiline))
    )


def plain_text(text: object, *, multiline: bool = False, style: str = "") -> Text:
    """``text`` sanitised, as a Rich Text (no markup, no emoji codes)."""
    return Text(sanitize(str(text), multiline=multiline), style=style)


def cell_text(text: object) -> str:
    """``text`` sanitised for a fixed-width column, and without the joiners and
    modifiers of emoji sequences, so every terminal agrees on its width (👩‍💻 shows as
    👩💻, ❤️ as ❤, 👍🏽 as 👍): the columns after it stay where they belong."""
    return sanitize(str(text)).translate(_WIDTH_AMBIGUOUS)


def markup_literal(text: object) -> str:
    """For the few Textual APIs that take only markup strings (a system command's title
    and help): `text` sanitised, every '[' escaped, so it shows literally."""
    return sanitize(str(text)).replace("[", "\\[")


def notify(target: Any, message: object, **kwargs: Any) -> None:
    """``target.notify(message)`` with the message sanitised and markup off.

    ``target`` is the app or a screen/widget; ``title`` is sanitised too (Textual shows
    it literally already).
    """
    title = kwargs.pop("title", "")
    target.notify(
        sanitize(str(message), multiline=True),
        title=sanitize(str(title)),
        markup=False,
        **kwargs,
    )
