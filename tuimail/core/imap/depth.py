"""imapclient's response parser recurses once per level of nested lists: a server that
nests a FETCH item (a BODYSTRUCTURE, say) a thousand lists deep made it raise
RecursionError, which no caller took for the server's fault ("Something went wrong:
maximum recursion depth exceeded" from `tuimail read`; every later sync of the folder
failed the same way).

`install()` (done by tuimail.core.connect, which every IMAP connection goes through)
wraps the parsers imapclient's client uses so that RecursionError becomes
ImapProtocolViolation(reason="unparsable"): the caller drops the connection and says the
server's answer could not be read, as for any other answer that is not IMAP.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from imapclient import imapclient as _client
from imapclient import response_parser as _parser

_PARSERS = ("parse_response", "parse_fetch_response", "parse_message_list")


def bounded(parse: Callable[..., Any]) -> Callable[..., Any]:
    """`parse`, with a nesting too deep for it raised as the server's protocol violation."""
    if getattr(parse, "_tuimail_bounded", False):
        return parse

    @functools.wraps(parse)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return parse(*args, **kwargs)
        except RecursionError:
            from tuimail.core.connect import ImapProtocolViolation

            raise ImapProtocolViolation(
                reason="unparsable", protocol="imap", data={"problem": "too-deep"}
            ) from None

    run._tuimail_bounded = True  # type: ignore[attr-defined]
    return run


def install() -> None:
    """Wrap the parsers where imapclient's client and tuimail's own modules look them up."""
    for name in _PARSERS:
        for module in (_client, _parser):
            if hasattr(module, name):
                setattr(module, name, bounded(getattr(module, name)))
