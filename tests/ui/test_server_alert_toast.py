"""A server's [ALERT] (RFC 3501 7.1: it MUST be shown) reaches the app as one notification
through the service's "alert" event: literally (markup-like text is not markup), sanitised,
once however often the server repeats it. A scripted TLS server, verification on."""

from __future__ import annotations

import pytest

from tests.hostile.scripted import Conn, ImapScript, ScriptedServer, account_on
from tests.ui.helpers import NOW, ready, wait_for
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.core.store import Store
from tuimail.ui.app import TuimailApp
from tuimail.ui.settings import UiSettings

pytestmark = pytest.mark.timeout(120)

ALERT = b"[@click=app.bell()]Over quota[/] \x1b]0;pwned\x07 delete mail"


def _select(conn: Conn, tag: bytes, args: bytes) -> None:
    conn.send(
        b"* 1 EXISTS\r\n* 0 RECENT\r\n"
        + (b"* OK [ALERT] " + ALERT + b"\r\n") * 30
        + b"* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n* FLAGS (\\Seen)\r\n"
        + tag + b" OK [READ-ONLY] done\r\n"
    )  # fmt: skip


def _alerts(app) -> list:
    return [n for n in app._notifications if n.title == "The server says"]


async def test_a_server_alert_is_notified_once_as_plain_text(test_ca, tmp_path) -> None:
    script = ImapScript(
        {"EXAMINE": _select, "SELECT": _select},
        greeting=b"* OK [ALERT] " + ALERT + b"\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n",
    )
    with ScriptedServer(test_ca, script) as server:
        account = account_on(server)
        service = MailService(
            {account.name: account},
            password_for=lambda _a: Secret("pw"),
            idle=False,
            store=Store(tmp_path / "store.sqlite3"),
            retry_after=60,
        )
        app = TuimailApp(service, now=NOW, ui=UiSettings(mark_read_delay=-1), sync_fallback=0.1)
        rang: list[str] = []
        app.action_bell = lambda *a: rang.append("bell")
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await ready(pilot)
            await wait_for(pilot, lambda: _alerts(app))
            said = _alerts(app)
            assert len(said) == 1, [n.message for n in app._notifications]
            (toast,) = said
            assert toast.markup is False
            assert toast.message.startswith("work: [@click=app.bell()]Over quota[/] ")
            assert "\x1b" not in toast.message and "\x07" not in toast.message
            assert toast.message.endswith(" delete mail")
            assert rang == []
            app.exit()
    assert [e for e in service.errors if e.kind == "alert"] == []  # not an error
