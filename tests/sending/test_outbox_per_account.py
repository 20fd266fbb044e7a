"""Each account has its own outbox, whatever its name. The directory name replaced every
character but [A-Za-z0-9._@+-] by "_": the accounts "ü" and "ö" shared one outbox, so
`tuimail outbox --retry` sent ö's message through ü's server with ü's login (and listed
it twice); ".." named the data directory itself."""

from __future__ import annotations

import json

from tests.sending.helpers import account_for, closed_port, with_password
from tuimail.__main__ import main
from tuimail.core.outbox import Outbox, _legacy_name


def test_accounts_whose_names_differ_only_in_letters_outside_ascii_never_share_an_outbox(
    mail_server, tmp_path, capsys, monkeypatch
) -> None:
    ue, oe, rcpt = (mail_server.new_user() for _ in range(3))
    (tmp_path / "ue").mkdir()
    (tmp_path / "oe").mkdir()
    with_password(account_for(mail_server, ue, name="ü"), tmp_path / "ue", ue.password)
    broken = account_for(mail_server, oe, name="ö")
    broken.outgoing.port = closed_port()
    with_password(broken, tmp_path / "oe", oe.password)
    monkeypatch.setattr("sys.stdin", _stdin(b"Subject: from oe\n\nbody\n"))
    assert main(["send", "--account", "ö", rcpt.email]) == 1  # its server is down
    capsys.readouterr()

    assert main(["outbox", "--retry"]) == 1  # ö: its server is still down; ü: none of its
    capsys.readouterr()
    assert main(["outbox", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(e["account"], e["subject"], e["state"]) for e in listed] == [
        ("ö", "from oe", "retrying")
    ]
    assert mail_server.messages(rcpt) == []  # not sent by ü's login
    dirs = [Outbox(n).dir for n in ("ü", "ö", "_", "..", ".")]
    assert len(set(dirs)) == 5
    assert all(d.parent == Outbox("work").dir.parent for d in dirs)  # none outside outbox/


def test_messages_in_an_older_shared_outbox_go_to_their_own_accounts(tmp_path) -> None:
    shared = tmp_path / "outbox" / _legacy_name("ü")
    shared.mkdir(parents=True)
    for name in ("ü", "ö"):
        (shared / f"1-{name.encode().hex()}.eml").write_bytes(f"Subject: {name}\r\n\r\n".encode())
        state = {"id": f"1-{name.encode().hex()}", "account": name, "sender": "a@example.test"}
        state |= {"recipients": ["b@example.test"], "subject": name}
        (shared / f"1-{name.encode().hex()}.json").write_text(json.dumps(state))
    for name in ("ü", "ö"):
        assert [e.subject for e in Outbox(name, tmp_path).entries()] == [name]
    assert list(shared.iterdir()) == []


def test_a_message_an_older_tuimail_is_sending_stays_where_it_is_until_it_is_done(
    tmp_path,
) -> None:
    """Taking over the older shared outbox respects its per-message lock: a message an
    older tuimail (still running) is sending is left to it, or it would be sent twice."""
    import fcntl
    import os

    shared = tmp_path / "outbox" / _legacy_name("ü")
    shared.mkdir(parents=True)
    entry = "1-busy"
    (shared / f"{entry}.eml").write_bytes(b"Subject: busy\r\n\r\n")
    state = {"id": entry, "account": "ü", "sender": "a@example.test"}
    state |= {"recipients": ["b@example.test"], "subject": "busy", "state": "sending"}
    (shared / f"{entry}.json").write_text(json.dumps(state))
    fd = os.open(shared / f"{entry}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the older tuimail, sending it
    try:
        assert Outbox("ü", tmp_path).entries() == []
        assert (shared / f"{entry}.eml").exists() and (shared / f"{entry}.json").exists()
    finally:
        os.close(fd)
    assert [e.subject for e in Outbox("ü", tmp_path).entries()] == ["busy"]  # done: taken
    assert list(shared.iterdir()) == []


def _legacy_entry(directory, entry: str, account: str, state: str = "sent") -> None:
    """A message and its state as an older tuimail left them in a shared directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{entry}.eml").write_bytes(f"Subject: {entry}\r\n\r\n".encode())
    data = {"id": entry, "account": account, "sender": "a@example.test", "state": state}
    data |= {"recipients": ["b@example.test"], "subject": entry}
    (directory / f"{entry}.json").write_text(json.dumps(data))


def test_the_sent_history_of_an_older_shared_outbox_goes_to_each_account(tmp_path) -> None:
    """sent/ was shared the same way: each account takes its own delivered messages (byte
    for byte, message by message), the other account's stay until it takes them."""
    shared = tmp_path / "sent" / _legacy_name("ü")
    _legacy_entry(shared, "1-ue", "ü")
    _legacy_entry(shared, "2-ue", "ü", state="partial")
    _legacy_entry(shared, "3-oe", "ö")
    ue = Outbox("ü", tmp_path)
    assert [e.id for e in ue.entries(include_sent=True)] == ["1-ue", "2-ue"]
    assert ue.entries() == []  # delivered: history, never waiting again
    assert ue.raw("1-ue") == b"Subject: 1-ue\r\n\r\n"
    assert sorted(p.name for p in shared.iterdir()) == ["3-oe.eml", "3-oe.json"]
    assert [e.id for e in Outbox("ö", tmp_path).entries(include_sent=True)] == ["3-oe"]
    assert list(shared.iterdir()) == []


def test_a_message_an_older_tuimail_is_moving_to_sent_stays_until_it_is_done(tmp_path) -> None:
    """An older tuimail moves a delivered message into sent/ holding the message's lock in
    its outbox directory: taking over the sent history respects that lock too."""
    import fcntl
    import os

    outbox = tmp_path / "outbox" / _legacy_name("ü")
    outbox.mkdir(parents=True)
    shared = tmp_path / "sent" / _legacy_name("ü")
    _legacy_entry(shared, "1-busy", "ü")
    fd = os.open(outbox / "1-busy.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the older tuimail, finishing its send
    try:
        assert Outbox("ü", tmp_path).entries(include_sent=True) == []
        assert sorted(p.name for p in shared.iterdir()) == ["1-busy.eml", "1-busy.json"]
    finally:
        os.close(fd)
    assert [e.id for e in Outbox("ü", tmp_path).entries(include_sent=True)] == ["1-busy"]
    assert list(shared.iterdir()) == [] and list(outbox.iterdir()) == []


def _stdin(data: bytes):
    import io

    return io.TextIOWrapper(io.BytesIO(data))
