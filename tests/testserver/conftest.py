"""The bundled server for the test server's own tests, defined once: each module names the
protocols it needs in SERVER_PROTOCOLS (starting only those keeps these tests quick)."""

from __future__ import annotations

import pytest

from tests.fixtures.testbeds import collect_garbage
from testserver.server import MailServer


@pytest.fixture
def mail_server(request, test_ca):
    """Overrides tests/fixtures/testbeds.mail_server (and so the bundled `mail_peer`)."""
    protocols = getattr(request.module, "SERVER_PROTOCOLS", None)
    options = {} if protocols is None else {"protocols": protocols}
    with MailServer(ca=test_ca, **options) as server:
        yield server
    collect_garbage()
