"""One typed error (tuimail.core.errors.MailError) in words: its reason or kind, plus
the server's code and words once. Sanitised.
"""

from __future__ import annotations

from tuimail.core.errors import (
    MailError,
    SecurityFailure,
)
from tuimail.core.sanitize import sanitize
from tuimail.words.kinds import HTTP_KIND_WORDS, KIND_WORDS
from tuimail.words.plain import tidy
from tuimail.words.reasons import reason_words
from tuimail.words.security import security
from tuimail.words.sign_in import needs_sign_in, sign_in_needed


def failure_words(error: MailError) -> str:
    """What happened, in the error's own words plus the server's (code and text)."""
    if needs_sign_in(error):
        return sign_in_needed(error)  # its code and words included; what to do: not here
    if isinstance(error, SecurityFailure) and error.reason:
        words = security(error)
    else:
        kinds = HTTP_KIND_WORDS if error.protocol == "http" else KIND_WORDS
        words = reason_words(error) or error.message or kinds.get(error.kind, "")
        words = words or "the request failed"
    said = tidy(error.server_text or "").strip()
    code = error.code
    if code is not None and error.reason in _CODE_SAID:
        code = None  # the words already say what the code means
    if code is not None and str(code) not in said and str(code) not in words:
        tag = str(code) if isinstance(code, int) else f"[{code}]"  # 535, [UNAVAILABLE]
        said = f"{tag} {said}".strip()
    if said and said not in words and words.endswith(_CLOSED):
        # what it sent belongs to what it did, not to the closing: "... is not IMAP
        # (HTTP/1.1 400 Bad Request); the connection was closed"
        words = f"{words[: -len(_CLOSED)]} ({said}){_CLOSED}"
    elif said and said not in words:
        words = f"{words}: {said}"
    return sanitize(words)


_CLOSED = "; the connection was closed"


_CODE_SAID = ("sign-in", "no-client", "no-oauth")  # reasons worded from their code
