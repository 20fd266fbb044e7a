"""Words for tuimail's own DKIM check of one signature (core's DkimCheck: reason,
data), with the library's and DNS's words, sanitised.
"""

from __future__ import annotations

from typing import Any

from tuimail.words.plain import plain


def dkim_detail(check: Any) -> str:
    """Words for tuimail's own DKIM check of one signature (core's DkimCheck: reason, data)."""
    data = check.data
    if check.reason == "key-lookup-failed":
        query = f"the DNS query for {data.get('name')} ({data.get('rtype')})"
        failed = "timed out" if data.get("timed_out") else f"failed ({data.get('detail')})"
        return f"the key could not be fetched ({query} {failed})"
    words = _DKIM.get(check.reason)
    if words is None:
        return f"the signature could not be checked ({check.reason})"
    return words.format(**{k: plain(v) for k, v in data.items()})


_DKIM = {
    "valid": "the signature is valid: signed parts unchanged",
    "does-not-verify": "the signature does not verify ({library})",
    "cannot-check": "the signature cannot be checked: {library}",
    "library-failed": "the signature cannot be checked ({type})",
    "no-key": "no key is published at {name}: the signature cannot be valid",
    "malformed": "the signature is malformed",
    "changed": "the signature does not match: the message was changed after signing",
    "too-large": "the message is too large to check here",
}
