"""Folders: the folder list, a folder's message list, search, and folder operations."""

from __future__ import annotations

from tuimail.core.errors import SEARCH
from tuimail.core.facade.sources import ListSource, SearchResults, StoreSource, view_row
from tuimail.core.facade.views import (
    SPECIAL_ORDER,
    UNIFIED,
    FolderInfo,
    MessageListSource,
    ServiceError,
)
from tuimail.core.runtime import ServiceEvent
from tuimail.core.sanitize import sanitize


class Folders:
    """MailService's folder list, lists and search, and folder operations."""

    # folders and lists
    def folders(self) -> list[FolderInfo]:
        out: list[FolderInfo] = []
        for _name, backend in self._backends.items():
            out.extend(
                sorted(
                    backend.folders.values(),
                    key=_tree_order,
                )
            )
        return out

    def folder_names(self, account: str) -> list[str]:
        return [f.name for f in self.folders() if f.account == account]

    def special_folder(self, account: str, special: str) -> str | None:
        folder = self.store.folder_by_role(account, special)
        if folder is None and special == "inbox":
            return "INBOX" if self.store.folder_id(account, "INBOX") else None
        return folder.name if folder is not None else None

    def source(
        self,
        account: str,
        folder: str,
        sort: str = "date",
        threaded: bool = False,
        reverse: bool = False,
    ) -> MessageListSource:
        """A folder's (or the unified inbox's) list. Threaded: JWZ thread trees, threads
        by their latest message (tuimail.core.thread_list; building it reads the whole
        folder's threading headers, so call this from a worker); else sorted by `sort`
        ("date", "sender", "subject", "size"), `reverse` turning the order round."""
        from tuimail.core.store import UNIFIED_INBOX

        ref = UNIFIED_INBOX if account == UNIFIED else self.store.folder_id(account, folder)
        if ref is None:
            return ListSource([])
        if threaded:
            from tuimail.core.thread_list import ThreadSource

            return ThreadSource(self.store, ref, reverse=reverse)
        return StoreSource(self.store, ref, sort, reverse)

    def search(
        self, query: str, account: str | None = None, folder: str | None = None
    ) -> MessageListSource:
        """Local full-text search (headers and cached bodies) in every account, plus a
        server-side search of the open IMAP folder (finds bodies never downloaded)."""
        query = query.strip()
        if not query:
            return ListSource([])
        try:
            found = {r.id: r for r in self.store.search(query, limit=1000)}
        except Exception as exc:
            data = {"type": type(exc).__name__, "detail": str(exc)}
            raise ServiceError(reason="search", data=data) from None
        if account in self._backends and folder and self.accounts[account].protocol == "imap":
            from tuimail.core.imap.search import SearchQuery, server_search

            backend = self.backend(account)
            try:
                with backend.lock:
                    rows = server_search(
                        backend._engine("command"), folder, SearchQuery.from_words(query)
                    )
                found.update({r.id: r for r in rows})
            except Exception as exc:
                self._emit(ServiceEvent("error", account, folder, error=exc, action=SEARCH))
        rows = sorted(found.values(), key=lambda r: -(r.date or 0))
        return SearchResults(self.store, [view_row(r) for r in rows])

    address_book_command: str | None = None  # [settings] address_book_command

    # folders
    def _folder_op(self, account: str, method: str, *args: str) -> None:
        backend = self.backend(account)
        getattr(backend.actions, method)(*args)  # a refusal is typed (ActionError)
        self._emit(ServiceEvent("folders", account))
        backend.flush()
        if backend.pop3_state is None:  # POP3 folders are local: nothing to sync
            backend.sync()

    def create_folder(self, account: str, name: str) -> None:
        self._folder_op(account, "create_folder", name)

    def rename_folder(self, account: str, old: str, new: str) -> None:
        self._folder_op(account, "rename_folder", old, new)

    def can_delete_folder(self, account: str, name: str) -> bool:
        """INBOX and the special folders (Sent, Drafts, Trash, Archive, Junk...) are kept."""
        if name.upper() == "INBOX":
            return False
        info = self.backend(account).folders.get(name)
        return info is not None and not info.special_use

    def delete_folder(self, account: str, name: str) -> None:
        if not self.can_delete_folder(account, name):
            raise ServiceError(reason="folder-kept", data={"name": sanitize(name)})
        backend = self.backend(account)
        if backend.pop3_state is not None:  # its messages are deleted locally
            fid = backend.folder_id(name)
            ids = [r.id for r in self.store.message_rows(fid, 0, 10_000_000, "uid")]
            backend.pop3_state.mark_deleted_locally(account, ids)
        self._folder_op(account, "delete_folder", name)

    def watch_folder(self, account: str, folder: str) -> None:
        """Push for the folder the UI shows (INBOX is always watched)."""
        if account in self._backends:
            self._backends[account].watch_folder(folder)


def _tree_order(folder: FolderInfo) -> tuple:
    """Special folders first, then by the levels of the name: "Work/Projects" right
    after "Work", not after "Work-old" ("-" sorts before "/")."""
    name = folder.name.lower()
    levels = name.split(folder.delimiter) if folder.delimiter else [name]
    return (SPECIAL_ORDER.get(folder.special_use or "", 9), levels)
