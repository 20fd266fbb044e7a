"""Saving a draft again replaces the server copy only when that is safe: the UID is used
under the UIDVALIDITY it was given with, and removed with UID EXPUNGE (UIDPLUS). Never a
plain EXPUNGE, which would remove every other message marked \\Deleted in Drafts."""

from __future__ import annotations

from tests.sending.helpers import account_for
from testserver.server import MailServer
from tuimail.core.compose import Draft
from tuimail.core.drafts import DraftStore
from tuimail.core.secrets import Secret
from tuimail.core.sent_copy import delete_uid


def _other(subject: str) -> bytes:
    return f"From: x@example.test\r\nSubject: {subject}\r\n\r\nnot a draft\r\n".encode()


def _subjects(server, user) -> list[str]:
    out = []
    for raw in server.messages(user, "Drafts"):
        for line in raw.split(b"\r\n"):
            if line.startswith(b"Subject: "):
                out.append(line[9:].decode())
    return out


def test_saving_again_replaces_the_draft(mail_server) -> None:
    user = mail_server.new_user()
    account, password = account_for(mail_server, user), Secret(user.password)
    drafts = DraftStore(account.name)
    draft = Draft(to=["bob@example.test"], subject="plan", body="one\n")
    first = drafts.save(draft, account, password)
    assert first.server_uid and first.server_uidvalidity
    draft.body = "two\n"
    drafts.save(draft, account, password, first.id)
    assert _subjects(mail_server, user) == ["plan"]


def test_a_changed_uidvalidity_leaves_the_old_copy_and_every_other_message(mail_server) -> None:
    user = mail_server.new_user()
    account, password = account_for(mail_server, user), Secret(user.password)
    store = mail_server.store
    _v, gap = store.append(user.login, "Drafts", _other("gone"))
    drafts = DraftStore(account.name)
    draft = Draft(to=["bob@example.test"], subject="plan", body="one\n")
    first = drafts.save(draft, account, password)
    store.append(user.login, "Drafts", _other("keep me"))
    store.remove(user.login, "Drafts", [gap])
    store.reset_uidvalidity(user.login, "Drafts")  # "keep me" now has the draft's old UID
    draft.body = "two\n"
    drafts.save(draft, account, password, first.id)
    assert sorted(_subjects(mail_server, user)) == ["keep me", "plan", "plan"]


def test_a_new_uidvalidity_with_the_uids_kept_still_replaces_the_draft(mail_server) -> None:
    """A server that gives Drafts a new UIDVALIDITY at every session, its UIDs kept: the
    old copy's UID is checked by the draft's Message-ID and removed (it was left, and
    every save added a copy); deleting the sent draft removes its copy the same way."""
    user = mail_server.new_user()
    account, password = account_for(mail_server, user), Secret(user.password)
    drafts = DraftStore(account.name)
    draft = Draft(to=["bob@example.test"], subject="plan", body="one\n")
    saved = drafts.save(draft, account, password)
    for body in ("two\n", "three\n"):
        mail_server.store.bump_uidvalidity(user.login, "Drafts")
        draft.body = body
        saved = drafts.save(draft, account, password, saved.id)
        assert _subjects(mail_server, user) == ["plan"]
    mail_server.store.bump_uidvalidity(user.login, "Drafts")
    drafts.delete(saved.id, account, password)
    assert _subjects(mail_server, user) == []


def _renumber_at_next_session(monkeypatch, store, login: str) -> None:
    """A server that gives Drafts a new UIDVALIDITY and numbers its messages from 1 again
    at every session: after the next APPEND to it, the next look at the folder (the
    SELECT that follows) finds it renumbered."""
    armed: list[bool] = []
    original = store.folder

    def folder(who, name):
        if armed and who == login and name == "Drafts":
            armed.clear()
            store.reset_uidvalidity(login, "Drafts")
        return original(who, name)

    def heard(event) -> None:
        if event.kind == "exists" and event.login == login and event.folder == "Drafts":
            armed.append(True)

    monkeypatch.setattr(store, "folder", folder)
    monkeypatch.setattr(store, "_listeners", [*store._listeners, heard])


def test_a_renumbering_server_never_loses_the_new_copy(mail_server, monkeypatch) -> None:
    """The old copy went (another client); the server renumbers Drafts after the new
    copy's APPEND, which now holds the old copy's UID with the same Message-ID: it stays
    (an old copy left is harmless, the new one deleted is not)."""
    user = mail_server.new_user()
    account, password = account_for(mail_server, user), Secret(user.password)
    drafts = DraftStore(account.name)
    draft = Draft(to=["bob@example.test"], subject="plan", body="one\n")
    first = drafts.save(draft, account, password)
    mail_server.store.remove(user.login, "Drafts", [first.server_uid])
    _renumber_at_next_session(monkeypatch, mail_server.store, user.login)
    draft.body = "two\n"
    drafts.save(draft, account, password, first.id)
    (kept,) = mail_server.messages(user, "Drafts")
    assert b"two" in kept


def test_without_uidplus_nothing_else_is_expunged(test_ca) -> None:
    with MailServer(ca=test_ca, options={"imap": {"disable": ("UIDPLUS",)}}) as server:
        user = server.new_user()
        account, password = account_for(server, user), Secret(user.password)
        store = server.store
        store.append(user.login, "Drafts", _other("deleted by another client"), ["\\Deleted"])
        validity, uid = store.append(user.login, "Drafts", _other("old draft"))
        assert delete_uid(account, password, "Drafts", uid, validity) is False
        assert sorted(_subjects(server, user)) == ["deleted by another client", "old draft"]
