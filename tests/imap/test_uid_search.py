"""UID SEARCH over real sockets, against the bundled server and (interop) Dovecot: both
offer ESEARCH, so the sync lists UIDs with `UID SEARCH RETURN (ALL)`, and the compact
answer gives the same UIDs as a plain SEARCH."""

from __future__ import annotations

from tests.imap.helpers import account_for, message, other_client, tmp_store
from tuimail.core.imap.session import capabilities, connector
from tuimail.core.imap.sync import SyncEngine, uid_search


class WireLog:
    """Opens connections like `connect` and keeps every command line they send."""

    def __init__(self, connect) -> None:
        self.sent: list[bytes] = []
        self._connect = connect

    def __call__(self):
        client = self._connect()
        imap = client._imap
        send = imap.send

        def recorded(data: bytes) -> None:
            self.sent.append(bytes(data))
            send(data)

        imap.send = recorded
        return client

    def searches(self) -> list[bytes]:
        return [line for line in self.sent if b" UID SEARCH " in line.upper()]


def test_sparse_folder_is_listed_with_esearch_and_matches_plain_search(mail_peer, tmp_path):
    user = mail_peer.new_user()
    other = other_client(mail_peer, user)
    for i in range(1, 31):
        other.append("INBOX", message(i))
    other.select_folder("INBOX")
    other.delete_messages([3, 4, *range(10, 16)])  # sequence numbers = UIDs here
    other.expunge()
    account = account_for(mail_peer, user)
    log = WireLog(connector(account, user.password, timeout=10))
    store = tmp_store(tmp_path)
    engine = SyncEngine(store, account, log)
    assert engine.sync().failures == []
    other.append("INBOX", message(31))  # found by the next pass's search for new UIDs
    assert engine.sync().failures == []

    assert "ESEARCH" in capabilities(engine.client)
    searches = log.searches()
    assert searches and all(b" RETURN (ALL) " in line for line in searches)
    inbox = next(f for f in store.folders("test") if f.name == "INBOX")
    expected = [1, 2, *range(5, 10), *range(16, 32)]
    assert sorted(store.uids(inbox.id)) == expected

    engine.client.select_folder("INBOX", readonly=True)
    compact = uid_search(engine.client, "ALL", exists=len(expected), esearch=True)
    plain = uid_search(engine.client, "ALL", exists=len(expected), esearch=False)
    assert compact == plain == expected
    none = uid_search(engine.client, "UID 900:*", exists=len(expected), esearch=True)
    assert none in ([], [31])  # `*` is the highest UID when nothing is above 900
    engine.close()
    other.logout()
