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
  (the command palette's system commands).

Each also runs :func:`tuimail.core.sanitize.sanitize`, so ESC/OSC and bidi controls
never reach the terminal. A test (tests/ui/test_plain_text_scan.py) fails when a widget
is given an f-string, concatenation or variable as markup instead.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.content import Content

from tuimail.core.sanitize import sanitize

__all__ = ["markup_literal", "notify", "plain", "plain_text"]


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
