"""The TLS policy of a POP3 account as the app and `tuimail sync` use it: implicit TLS
or mandatory STLS, the certificate verified; a refusal is a sentence, never a traceback,
and nothing is downloaded (the password is never sent)."""

from __future__ import annotations

import pytest

from tests.pop3.helpers import message, pop3_account, pop3_service
from testserver.server import MailServer
from tuimail.core.pop3 import Pop3Error, fetch
from tuimail.core.pop3_state import StorePop3State
from tuimail.core.store import Store
from tuimail.words.describe import describe
from tuimail.words.status import state as state_words

REASONS = {
    "expired": "expired",
    "wrong_host": "does not name this host",
    "cn_only": "does not name this host",
    "self_signed": "self-signed",
}


@pytest.mark.parametrize("security", ["tls", "starttls"])
@pytest.mark.parametrize("kind", sorted(REASONS))
def test_a_bad_certificate_is_refused_with_its_reason(test_ca, tmp_path, kind, security):
    with MailServer(ca=test_ca, cert=kind, protocols=("pop3",)) as server:
        user = server.new_user()
        server.deliver(user, message(1))
        account = pop3_account(server, user, security)
        service = pop3_service(account, user.password, tmp_path / "store.sqlite3")
        try:
            assert not service.backend("pop").sync()
        finally:
            service.stop()
        assert server.messages(user)  # untouched
    detail = state_words(service.states()["pop"])
    assert REASONS[kind] in detail, detail
    assert "_ssl.c" not in detail and "Traceback" not in detail
    assert service.source("pop", "INBOX").count() == 0


@pytest.mark.parametrize("kind", ["strip_starttls", "no_starttls"])
def test_stls_is_mandatory(mail_server, tmp_path, kind):
    user = mail_server.new_user()
    mail_server.deliver(user, message(1))
    mail_server.faults.add(protocol="pop3", kind=kind, port="starttls")
    state = StorePop3State(Store(tmp_path / "store.sqlite3"))
    with pytest.raises(Pop3Error) as info:
        fetch(pop3_account(mail_server, user, "starttls"), user.password, state)
    assert info.value.reason == "starttls-missing"
    assert "does not offer STLS" in describe(info.value)
    assert state.known("pop") == {}


def test_a_line_of_a_megabyte_downloads_intact(mail_server, tmp_path):
    """poplib's 2048-byte line limit is raised (real HTML mail has lines far longer)."""
    user = mail_server.new_user()
    line = b"<td>" + b"y" * 900_000 + b"</td>\r\n"
    mail_server.deliver(user, message(1, line))
    state = StorePop3State(Store(tmp_path / "store.sqlite3"))
    assert fetch(pop3_account(mail_server, user), user.password, state).downloaded == 1
    (row,) = state.store.message_rows(state.inbox("pop"), 0, 10, sort="uid")
    assert line in state.store.body(row.id)
