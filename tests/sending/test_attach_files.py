"""Attaching a file by its path in the composer: only a regular file is read."""

from __future__ import annotations

import os

import pytest

from tests.sending.helpers import make_account
from tuimail.core.secrets import Secret
from tuimail.core.service import Draft, MailService, ServiceError
from tuimail.core.store import Store
from tuimail.words.describe import describe


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_path_that_is_no_regular_file_is_refused_at_once(tmp_path, kind) -> None:
    """A FIFO made Send wait for ever (reading waits for a writer), a device was read
    (/dev/zero until memory ran out). Now they are refused in a sentence, and nothing is
    queued."""
    if kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    else:
        path = "/dev/null"  # a device (/dev/zero alike, but a safe one to try)
    account = make_account("me@example.test", smtp_port=9)
    service = MailService(
        {account.name: account},
        password_for=lambda _a: Secret("pw"),
        idle=False,
        store=Store(tmp_path / "store.sqlite3"),
    )
    try:
        with pytest.raises(ServiceError) as caught:
            service.send(Draft(account.name, to="bob@example.org", attachments=[str(path)]))
    finally:
        service.stop()
    said = describe(caught.value)
    assert str(path) in said and "not a regular file" in said, said
    assert service.outbox_waiting == 0
