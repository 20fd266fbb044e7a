"""Big attachments kept out of the email package while a message is written.

The stdlib holds an attachment as base64 text (4/3 of it), and its generator splits every
payload into a list of lines and copies each part into a buffer of its own: a 56 MB
forwarded message or a 30 MB file cost several times its size to write. `build_message`
(with splice=True) gives such a part a short token payload instead, made by the same
code as the real one (same headers, same encoding), and `written(msg)` writes the message
with the tokens and then puts each part's real content where its token is: a message as
received byte for byte (message/rfc822 is written as it is), a file in base64 lines of 57
bytes with CRLF, encoded a chunk at a time, as email.contentmanager encodes it whole.

Invariant: `written(msg)` is what `utf8_headers.message_bytes` gives for the message
built without tokens. A token not found exactly once raises (nothing half written).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from email.message import EmailMessage, Message
from io import BytesIO

from tuimail.core.mime import utf8_headers

BIG = 1 << 20  # an attachment larger than this is spliced in
CHUNK = 57 * 16384  # bytes base64-encoded at a time (whole lines)


class TokenMissing(ValueError):
    """A big part's token is not in the written message exactly once."""


class BigPayload(str):
    """A token payload standing for `data` (see the module docstring)."""

    data: bytes
    kind: str  # "exact": written as it is; "base64": encoded in 57-byte lines
    image: bytes  # what the generator writes for the token

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return str.encode(self, "ascii")


def token() -> bytes:
    return b"tuimail-big-part-" + secrets.token_hex(12).encode()


def exact(text: str, data: bytes) -> BigPayload:
    """The payload of a message/rfc822 part written as `data`; `text` its token."""
    payload = BigPayload(text)
    payload.data, payload.kind, payload.image = data, "exact", text.encode("ascii")
    return payload


def mark_base64(part: Message, data: bytes) -> None:
    """`part` was given a token as its bytes content (base64): it stands for `data`."""
    text = part.get_payload()
    payload = BigPayload(text)
    payload.data, payload.kind = data, "base64"
    payload.image = text.encode("ascii").replace(b"\n", b"\r\n")
    part.set_payload(payload)


def written(msg: EmailMessage) -> bytes:
    """`utf8_headers.message_bytes(msg)` with every big part's content in place."""
    out = utf8_headers.message_bytes(msg)
    bigs = [p._payload for p in msg.walk() if isinstance(p._payload, BigPayload)]
    if not bigs:
        return out
    whole = BytesIO()  # getvalue() hands over its buffer: the message is copied once
    pos = 0
    for big in bigs:
        at = out.find(big.image, pos)
        if at == -1 or out.find(big.image, at + 1) != -1:
            raise TokenMissing("a big part's place was not found in the written message")
        whole.write(out[pos:at])
        if big.kind == "exact":
            whole.write(big.data)
        else:
            view = memoryview(big.data)
            for start in range(0, len(view), CHUNK):
                chunk = base64.encodebytes(view[start : start + CHUNK])
                whole.write(chunk.replace(b"\n", b"\r\n"))
        pos = at + len(big.image)
    whole.write(out[pos:])
    return whole.getvalue()


def written_else(msg: EmailMessage, whole: Callable[[], bytes]) -> bytes:
    """`written(msg)`; if a token is not found exactly once (the message's own text holds
    one: with 96 random bits, a forgery, not chance), `whole()`: the message built
    without tokens (it costs memory, never exactness)."""
    try:
        return written(msg)
    except TokenMissing:
        return whole()
