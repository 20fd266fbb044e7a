"""SMTP DATA sent a chunk at a time.

aiosmtplib's DATA makes the whole message what goes on the wire before writing it: its
line ends made CRLF and its leading dots doubled, each by one regular-expression pass
over all of it (a list of a piece per line, then a new copy), then one more copy for
the final dot: ~+200 MB for a 40 MB message. `send_data` does the same command with the
same bytes on the wire, a chunk of ~1 MB (cut after a LF) at a time, waiting for the
transport to drain between chunks.

Invariant: `b"".join(wire_chunks(m))` is what aiosmtplib's DATA writes for `m` (its own
expressions are used).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from aiosmtplib.errors import SMTPDataError, SMTPServerDisconnected, SMTPTimeoutError
from aiosmtplib.protocol import LINE_ENDINGS_REGEX, PERIOD_REGEX
from aiosmtplib.response import SMTPResponse
from aiosmtplib.typing import SMTPStatus

CHUNK = 1 << 20


class DataStalled(SMTPTimeoutError):
    """The server stopped taking the message's data for `timeout` seconds before its end
    (the line of a single dot) was handed over: it cannot have accepted the message, so
    sending it again later sends it once."""


def wire_chunks(message: bytes) -> Iterator[bytes]:
    """`message` as DATA sends it, in pieces of about CHUNK bytes, ending with the
    line of a single dot."""
    start, end, last = 0, len(message), b""
    while start < end:
        stop = message.find(b"\n", min(start + CHUNK, end) - 1)
        stop = end if stop == -1 else stop + 1
        last = PERIOD_REGEX.sub(b"..", LINE_ENDINGS_REGEX.sub(b"\r\n", message[start:stop]))
        yield last
        start = stop
    yield b".\r\n" if last.endswith(b"\r\n") else b"\r\n.\r\n"


async def send_data(protocol, message: bytes, timeout: float | None) -> SMTPResponse:
    """DATA, then `message`, as aiosmtplib's SMTPProtocol.execute_data_command does."""
    if protocol._command_lock is None:
        raise SMTPServerDisconnected("Server not connected")
    async with protocol._command_lock:
        _expect_reply(protocol)
        protocol.write(b"DATA\r\n")
        start = await protocol.read_response(timeout=timeout)
        if start.code != SMTPStatus.start_input:
            raise SMTPDataError(start.code, start.message)
        _expect_reply(protocol)
        chunks = wire_chunks(message)
        chunk: bytes | None = next(chunks)
        while chunk is not None:
            following = next(chunks, None)  # (the last one is the end of the data)
            protocol.write(chunk)
            try:  # the transport's buffer, not all of it; a server that stops reading
                await asyncio.wait_for(protocol._drain_helper(), timeout)  # is given up on
            except TimeoutError:
                _abort(protocol)  # closed at once: a close would wait to write the rest
                if following is None:  # the end went into the buffer: it may have arrived
                    raise SMTPTimeoutError("the server stopped reading the data") from None
                raise DataStalled("the server stopped reading the data") from None
            chunk = following
        response = await protocol.read_response(timeout=timeout)
        if response.code != SMTPStatus.completed:
            raise SMTPDataError(response.code, response.message)
    return response


def _abort(protocol) -> None:
    transport = getattr(protocol, "transport", None)
    if transport is not None:
        transport.abort()


def usable(protocol: object) -> bool:
    """Whether the protocol has what send_data uses (aiosmtplib 4.0 to 5.x)."""
    return all(hasattr(protocol, name) for name in ("_command_lock", "_drain_helper", "write"))


def _expect_reply(protocol: object) -> None:
    # aiosmtplib 5 drops server data that arrives while no reply is expected; it marks
    # one as expected before each write (4.0 has no such flag).
    if hasattr(protocol, "_response_pending"):
        protocol._response_pending = True
