"""The app's POP3 path (MailService, what the UI polls) against scripted hostile
servers: the same bounds as `tuimail sync` (account timeout, bounded answers), and the
failure is a sentence in the account's state, never a hang or a traceback."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import BAD, PASSWORD, save
from tests.hostile.scripted import Conn, Pop3Script, trickle
from tuimail.core.errors import ProtocolViolation, TimedOut
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


@pytest.mark.parametrize(("name", "script"), CASES.items(), ids=CASES.keys())
def test_the_app_gives_up_in_time_with_a_sentence(scripted, tmp_path, name, script) -> None:
    with scripted(script) as server:
        account = save(server, "pop3")
        service = MailService(
            {"work": account},
            password_for=lambda _a: Secret(PASSWORD),
            idle=False,
            store=Store(tmp_path / "store.sqlite3"),
        )
        try:
            assert not service.backend("work").sync()
        finally:
            service.stop()
    state = service.states()["work"]
    assert state.state in ("offline", "error")
    # in time: with no account timeout the client would have outwaited the script's hang
    # guard (the `scripted` fixture fails then); a never-ending answer hit its bound
    if name == "RETR that never ends":
        assert isinstance(state.error, ProtocolViolation), repr(state.error)
        assert state.error.reason == "response-too-big", repr(state.error)
    else:
        assert isinstance(state.error, TimedOut), repr(state.error)
    for bad in (*BAD, "_ssl.c", "error_proto"):
        assert bad not in state_words(state), (bad, state_words(state))
    assert 0 < len(state_words(state)) < 400
    assert state_words(state).startswith(("the mail server", "the POP3 server")), state_words(state)
    assert not service.source("work", "INBOX").count()  # nothing half-stored
