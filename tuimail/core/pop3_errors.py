"""POP3 failures as one sentence for the user (the app's status bar, `tuimail sync`).

poplib's own words ("-ERR EOF", "line too long", a timeout's "timed out") and the
exceptions of tuimail.core.connect (TLS policy, bounded answers) become plain sentences;
anything that came from the server is sanitized.
"""

from __future__ import annotations

import poplib

from tuimail.core.sanitize import sanitize

_TEXTS = (
    ("-ERR EOF", "the mail server closed the connection"),
    ("line too long", "the mail server sent a line longer than 1 MB (not POP3)"),
    ("The read operation timed out", "the mail server did not answer in time"),
    ("timed out", "the mail server did not answer in time"),
)


def describe_pop3(exc: BaseException) -> str:
    """A sentence about a failed POP3 connection or command."""
    from tuimail.core.imap.session import describe

    if isinstance(exc, poplib.error_proto):
        arg = exc.args[0] if exc.args else b""
        text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
        if text.startswith("-ERR") and text != "-ERR EOF":
            return pop3_sentence(f"the POP3 server refused: {text[4:].strip()}")
        if not text.startswith(("-ERR", "line too long", "the mail server")):
            return pop3_sentence(f'the mail server does not speak POP3 (it sent "{text[:60]}")')
        return pop3_sentence(text)
    return pop3_sentence(describe(exc))


def pop3_sentence(text: str) -> str:
    """POP3 errors as one safe sentence (poplib's own words made readable)."""
    for marker, sentence in _TEXTS:
        if marker in text:
            return sentence
    return sanitize(text)
