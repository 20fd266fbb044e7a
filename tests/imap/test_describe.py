"""The sentences users see for IMAP connection failures."""

from __future__ import annotations

import socket

from tuimail.core.imap.session import describe


def test_unknown_host_is_explained_as_dns() -> None:
    text = describe(socket.gaierror(-2, "Name or service not known"))
    assert "host name cannot be found" in text and "(-2)" not in text


def test_refused_and_timeout() -> None:
    assert "refused" in describe(ConnectionRefusedError(111, "Connection refused"))
    assert "did not answer in time" in describe(TimeoutError())
