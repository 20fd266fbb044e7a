"""The app's POP3 path (MailService, what the UI polls) against scripted hostile
servers: the same bounds as `tuimail sync` (account timeout, bounded answers), and the
failure is a sentence in the account's state, never a hang or a traceback."""

from __future__ import annotations

import time

import pytest

from tests.hostile.conftest import BAD, PASSWORD, TIMEOUT, save
from tests.hostile.scripted import Conn, Pop3Script, trickle
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import Store
from tuimail.words.status import state as state_words

pytestmark = [pytest.mark.timeout(60), pytest.mark.usefixtures("small_response_limit")]


def _flood_lines(conn: Conn, args: bytes) -> None:
    conn.send(b"+OK here it comes\r\n")
    conn.flood(b"x" * 1000 + b"\r\n")  # never the final "."


CASES = {
    "trickled greeting": lambda conn: trickle(conn, b"+OK hello"),
    "RETR that hangs": Pop3Script({"RETR": lambda conn, args: conn.hang()}),
    "RETR that never ends": Pop3Script({"RETR": _flood_lines}),
}


@pytest.mark.parametrize("script", CASES.values(), ids=CASES.keys())
def test_the_app_gives_up_in_time_with_a_sentence(scripted, tmp_path, script) -> None:
    with scripted(script) as server:
        account = save(server, "pop3")
        service = MailService(
            {"work": account},
            password_for=lambda _a: Secret(PASSWORD),
            idle=False,
            store=Store(tmp_path / "store.sqlite3"),
        )
        started = time.monotonic()
        try:
            assert not service.backend("work").sync()
        finally:
            service.stop()
        seconds = time.monotonic() - started
    state = service.states()["work"]
    assert state.state in ("offline", "error")
    assert seconds < TIMEOUT * 2 + 3, seconds
    for bad in (*BAD, "_ssl.c", "error_proto"):
        assert bad not in state_words(state), (bad, state_words(state))
    assert 0 < len(state_words(state)) < 400
    assert state_words(state).startswith(("the mail server", "the POP3 server")), state_words(state)
    assert not service.source("work", "INBOX").count()  # nothing half-stored
