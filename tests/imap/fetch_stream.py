"""An imaplib connection object reading a given byte string (no socket), for the FETCH
scanner's tests: `wire(data, chunks)` drips `data` in pieces of the given sizes, and
`reference(data, tag)` reads it the way imaplib reads it (the scanner's reference)."""

from __future__ import annotations

import imaplib
import io
import re

from tuimail.core.connect import _IMAP4

TAG = b"A7"


class Drip(io.RawIOBase):
    """A raw stream that returns `data` in pieces of the given sizes (cycled), as a slow
    or fragmenting server would deliver it."""

    def __init__(self, data: bytes, chunks: list[int]) -> None:
        self.data, self.pos, self.chunks, self.turn = data, 0, chunks or [1 << 20], 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        size = max(1, self.chunks[self.turn % len(self.chunks)])
        self.turn += 1
        piece = self.data[self.pos : self.pos + min(size, len(b))]
        b[: len(piece)] = piece
        self.pos += len(piece)
        return len(piece)


def wire(data: bytes, chunks: list[int] | None = None, buffer: int = 8192) -> _IMAP4:
    """A logged-in-looking _IMAP4 whose answers are `data`, with the command TAG sent."""
    imap = object.__new__(_IMAP4)
    imap.tagpre = b"A"
    imap.tagre = re.compile(rb"(?P<tag>A\d+) (?P<type>[A-Z]+) (?P<data>.*)", re.ASCII)
    imap.Literal = re.compile(imaplib._Literal, re.ASCII)
    imap.Untagged_status = re.compile(imaplib._Untagged_status, re.ASCII)
    imap._encoding = "ascii"
    imap.debug = 0
    imap.untagged_responses = {}
    imap.tagged_commands = {TAG: None}
    imap.continuation_response = b""
    imap._received = 0
    imap.file = io.BufferedReader(Drip(data, chunks or []), buffer)
    return imap


def reference(data: bytes) -> tuple[str, list, dict]:
    """imaplib's own reading of `data` as the answer to TAG: (type, FETCH data, the other
    untagged responses)."""
    imap = wire(data)
    typ, dat = imap._command_complete("UID", TAG)
    fetch = imap.untagged_responses.pop("FETCH", [])
    return typ, fetch, imap.untagged_responses
