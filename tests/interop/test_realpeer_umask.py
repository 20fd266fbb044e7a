"""The real peer starts whatever umask the test process has: tuimail's main() sets 077 for
the rest of the process, and a CLI test running before the first interop test made
Postfix fail to start (every interop test then errored)."""

from __future__ import annotations

import os

import pytest

from tests.fixtures.realpeer_bed import DovecotPeer
from tests.fixtures.realpeer_procs import missing_requirements

pytestmark = [pytest.mark.interop, pytest.mark.timeout(120)]


def test_the_peer_starts_under_tuimails_private_umask() -> None:
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    previous = os.umask(0o077)  # as tuimail.__main__.main() leaves it
    peer = DovecotPeer()
    try:
        peer.start()
        assert peer.ports is not None and peer.ports.smtp_starttls
        assert os.umask(0o077) == 0o077  # the caller's umask is given back
    finally:
        peer.stop()
        os.umask(previous)
