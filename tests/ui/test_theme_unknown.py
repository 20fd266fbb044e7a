"""A theme in the config that this Textual does not know is a warning at start, not a
crash: the app opens with its default theme and says which one it uses."""

from __future__ import annotations

from tests.ui.helpers import account_for, ready
from tuimail.core.secrets import Secret
from tuimail.core.service import MailService
from tuimail.ui.app import TuimailApp
from tuimail.ui.settings import UiSettings


async def test_an_unknown_theme_is_a_warning_and_the_default_is_used(mail_server):
    user = mail_server.new_user()
    account = account_for(mail_server, user)
    password = Secret(user.password)
    service = MailService({account.name: account}, password_for=lambda _a: password, idle=False)
    app = TuimailApp(service, ui=UiSettings(mark_read_delay=-1), theme="no-such-theme\x1b[31m")
    default = TuimailApp(None).theme
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        assert app.theme == default
        warnings = [n for n in app._notifications if n.severity == "warning"]
        assert any("is unknown; using" in str(n.message) for n in warnings)
        assert not any("\x1b" in str(n.message) for n in warnings)
