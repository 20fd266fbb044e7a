"""Fixtures for the account tests: bundled servers with only the protocols a test needs."""

from __future__ import annotations

import pytest

from tests.fixtures.testbeds import collect_garbage
from testserver.certs import TestCA
from testserver.server import MailServer


@pytest.fixture
def imap_pop3_server(test_ca: TestCA):
    with MailServer(ca=test_ca, protocols=("imap", "pop3")) as server:
        yield server
    _collect()


@pytest.fixture
def imap_smtp_server(test_ca: TestCA):
    with MailServer(ca=test_ca, protocols=("imap", "smtp")) as server:
        yield server
    _collect()


@pytest.fixture(params=["expired", "wrong_host", "cn_only", "self_signed"])
def bad_cert_server(request: pytest.FixtureRequest, test_ca: TestCA):
    with MailServer(ca=test_ca, cert=request.param, protocols=("imap", "pop3")) as server:
        server.cert_kind = request.param
        yield server
    _collect()


def _collect() -> None:
    """Run finalizers now: the server's half-closed StreamWriters (a failed TLS handshake)
    raise in __del__, and on Python 3.11.7 a finalizer that runs in the middle of a later
    compile() (pytest importing a module) breaks it with "AST constructor recursion depth
    mismatch"."""
    collect_garbage()
