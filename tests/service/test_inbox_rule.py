"""The one rule for "an account's inbox" (tuimail.core.service.inbox_of): the folder the
app opens first, the one an account line opens, the one a search or a deleted folder gives
way to."""

from __future__ import annotations

from pathlib import Path

from tuimail.core.account import Account, ServerSettings
from tuimail.core.runtime import AccountRuntime
from tuimail.core.service import FolderInfo, inbox_of
from tuimail.core.store import Store


def test_the_folder_marked_inbox_wins_over_one_named_so() -> None:
    folders = [FolderInfo("a", "INBOX"), FolderInfo("a", "Posteingang", "inbox")]
    assert inbox_of(folders, "a") == folders[1]


def test_inbox_is_found_by_name_in_any_letters_when_not_marked() -> None:
    # RFC 3501 5.1: INBOX is case-insensitive; Yahoo lists it as "Inbox".
    for name in ("INBOX", "Inbox", "inbox", "iNbOx"):
        folders = [FolderInfo("yahoo", "Archive"), FolderInfo("yahoo", name)]
        assert inbox_of(folders, "yahoo") == folders[1]


def test_a_folder_named_like_inbox_below_another_is_not_the_inbox() -> None:
    folders = [FolderInfo("a", "Lists"), FolderInfo("a", "Lists/INBOX")]
    assert inbox_of(folders, "a") == folders[0]  # the first folder, not a lookalike


def test_an_account_without_an_inbox_listed_yet_gives_its_first_folder_or_none() -> None:
    folders = [FolderInfo("a", "INBOX", "inbox"), FolderInfo("b", "Sent", "sent")]
    assert inbox_of(folders, "b") == folders[1]
    assert inbox_of(folders, "c") is None
    assert inbox_of([], "a") is None
    assert inbox_of([]) is None


def test_only_the_accounts_own_folders_count() -> None:
    folders = [FolderInfo("a", "INBOX", "inbox"), FolderInfo("b", "Notes")]
    assert inbox_of(folders, "b") == folders[1]


def test_without_an_account_the_first_inbox_of_any_account() -> None:
    folders = [FolderInfo("a", "Notes"), FolderInfo("b", "Drafts"), FolderInfo("b", "Inbox")]
    assert inbox_of(folders) == folders[2]
    assert inbox_of(folders[:2]) == folders[0]


def test_a_pop3_accounts_local_inbox(tmp_path: Path) -> None:
    server = ServerSettings(host="127.0.0.1", port=9, security="tls")
    account = Account("pop", "u@example.org", server, server, protocol="pop3")
    store = Store(tmp_path / "mail.db")
    try:
        runtime = AccountRuntime(account, store, password_for=lambda _a: None, emit=print)
        folders = list(runtime.folders.values())  # as the service lists them, never connected
        inbox = inbox_of(folders, "pop")
        assert inbox is not None and (inbox.name, inbox.special_use) == ("INBOX", "inbox")
    finally:
        store.close()
