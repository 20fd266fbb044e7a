"""Words for a --nameserver value that cannot be used
(tuimail.core.discovery.resolver.NameserverError: its problem and the value).

Every string returned is sanitised (no control characters).
"""

from __future__ import annotations

from typing import Any

from tuimail.words.plain import plain


def nameserver_words(error: Any) -> str:
    """ "The name server '1.2.3.4:99999' has an invalid port."."""
    given = repr(plain(getattr(error, "nameserver", "")))
    if getattr(error, "problem", "") == "bad-port":
        return f"The name server {given} has an invalid port."
    return f"The name server {given} cannot be found."


def nameserver_option_words(error: Any) -> str:
    """The same, for a --nameserver option, with what to give instead (every command
    says it the same way: detect, doctor, account add, read --check-dkim)."""
    return f"{nameserver_words(error)} Give --nameserver as HOST or HOST:PORT."
