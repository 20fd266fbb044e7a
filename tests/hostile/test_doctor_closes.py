"""The doctor closes every connection it opened, however a check ended: a login answer
that never came left the login check's connection and the round trip's open (a LOGOUT or
QUIT that failed too was the last word; the round trip's connection was closed only when
it had logged in), each holding a socket until the process ended."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import save_pair
from tests.hostile.scripted import ImapScript, Pop3Script, SmtpScript, trickle
from tuimail.core.config import save_account

pytestmark = pytest.mark.timeout(120)

NEVER_ANSWERED = {
    "imap": ImapScript({"LOGIN": lambda conn, tag, args: trickle(conn, b"* OK ", every=0.1)}),
    "pop3": Pop3Script({"PASS": lambda conn, args: trickle(conn, b"+OK ", every=0.1)}),
}


@pytest.mark.parametrize("protocol", NEVER_ANSWERED, ids=NEVER_ANSWERED.keys())
def test_connections_whose_login_never_ended_are_closed(scripted, cli, nameserver, protocol):
    with scripted(NEVER_ANSWERED[protocol]) as incoming, scripted(SmtpScript()) as outgoing:
        account = save_pair(incoming, outgoing, timeout=1.0)
        account.protocol = protocol
        save_account(account)
        run = cli("doctor", "work", "--nameserver", nameserver, "--timeout", "1")
        assert run.code == 1
        assert len(incoming.connections) == 2  # the login check's and the round trip's
        assert incoming.client_left(5), "a connection was left open"
