"""The bundled server for these tests: IMAP always, SMTP when the test server has it."""

from __future__ import annotations

import importlib.util

import pytest

from testserver.server import MailServer


def _protocols() -> tuple[str, ...]:
    wanted = ["imap"]
    if importlib.util.find_spec("testserver.smtp") is not None:
        wanted.append("smtp")
    return tuple(wanted)


@pytest.fixture
def mail_server(test_ca):
    with MailServer(ca=test_ca, protocols=_protocols()) as server:
        yield server
