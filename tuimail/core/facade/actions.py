"""Actions on messages: the store changes at once (the list repaints), then the server
is told; undo."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tuimail.core.facade.sources import view_row
from tuimail.core.facade.views import MessageRow, ServiceError, Undone
from tuimail.core.runtime import ServiceEvent


class Actions:
    """MailService's message actions and undo."""

    # actions: the store changes at once (the list repaints), then the server is told
    def _changed(self, rows: Sequence[MessageRow], *folders: tuple[str, str]) -> None:
        for account, folder in {(r.account, r.folder) for r in rows} | set(folders):
            self._emit(ServiceEvent("messages", account, folder))

    def _by_account(self, rows: Sequence[MessageRow]) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for row in rows:
            out.setdefault(row.account, []).append(row.id)
        return out

    def _act(self, rows: Sequence[MessageRow], method: str, *args: Any) -> None:
        self._act_local(rows, method, *args)()

    def _act_local(self, rows: Sequence[MessageRow], method: str, *args: Any) -> Callable[[], None]:
        for account, ids in self._by_account(rows).items():
            getattr(self.backend(account).actions, method)(ids, *args)

        def remote() -> None:
            self._changed(rows)
            self._flush_and_resync(rows)

        return remote

    def _flush_and_resync(self, rows: Sequence[MessageRow]) -> None:
        """Replay now (the replay reads back FLAGS and MODSEQ of what it changed, so the
        next queued change carries a current MODSEQ; after a conflict the server's flags
        are in the store, so the list repaints)."""
        for account in self._by_account(rows):
            self.backend(account).flush()
        self._changed(rows)

    def _store_flag(self, rows: Sequence[MessageRow], flag: str, add: bool) -> None:
        if flag == "\\Answered":
            for account, ids in self._by_account(rows).items():
                actions = self.backend(account).actions
                if add:
                    actions._flags(ids, add=[flag])
                else:
                    actions._flags(ids, remove=[flag])
            self._changed(rows)
            self._flush_and_resync(rows)
            return
        names = {"\\Seen": ("mark_read", "mark_unread"), "\\Flagged": ("flag", "unflag")}
        self._act(rows, names[flag][0 if add else 1])

    def set_seen(self, rows: Sequence[MessageRow], seen: bool) -> None:
        self._store_flag(rows, "\\Seen", seen)

    def set_flagged(self, rows: Sequence[MessageRow], flagged: bool) -> None:
        self._store_flag(rows, "\\Flagged", flagged)

    def unread_count(self, account: str, folder: str) -> int:
        fid = self.backend(account).folder_id(folder)
        return len(self.store.message_rows(fid, 0, 1_000_000, "uid", "unread"))

    def mark_all_read(self, account: str, folder: str) -> int:
        """Every unread message of the folder read; undo (u) makes them unread again."""
        fid = self.backend(account).folder_id(folder)
        rows = [view_row(r) for r in self.store.message_rows(fid, 0, 1_000_000, "uid", "unread")]
        if rows:
            self.set_seen(rows, True)
            self._undo.append((Undone("read", len(rows)), lambda: self.set_seen(rows, False)))
        return len(rows)

    def _moved(self, rows: Sequence[MessageRow], target: str | None, done: Undone) -> None:
        undo = self._moved_remote(rows[0].account, rows, target)
        self._undo.append((done, undo))

    def _undo_in(self, account: str, target: str | None, origins: Sequence[str] = ()) -> None:
        """Undo the last move in `account`; the folders involved are re-read (the rows
        put back get their new UIDs)."""
        backend = self.backend(account)
        undone = backend.actions.undo()
        if undone is None:
            raise ServiceError(reason="undo-gone")
        if not undone:
            raise ServiceError(reason="nothing-to-undo")
        self._emit(ServiceEvent("folders", account))
        backend.flush()
        for folder in self.folder_names(account):
            if folder == target or folder.upper() == "INBOX" or folder in origins:
                try:
                    backend.refresh_folder(folder)
                except Exception:
                    pass
        self._emit(ServiceEvent("folders", account))

    def move(self, rows: Sequence[MessageRow], target: str, *, copy: bool = False) -> None:
        """Move (or copy) to `target` in the same account; a move can be undone."""
        if not rows:
            return
        account = rows[0].account
        backend = self.backend(account)
        backend.folder_id(target)
        ids = [r.id for r in rows if r.account == account]
        if copy:
            backend.actions.copy(ids, target)
            self._changed(rows, (account, target))
            backend.flush()
            backend.refresh_folder(target)
            return
        backend.actions.move(ids, target)
        self._moved(rows, target, Undone("move", len(ids)))

    def deletes_for_ever(self, rows: Sequence[MessageRow]) -> bool:
        """Deleting these expunges them (they are in Trash, or there is no Trash): no undo."""
        return any(
            r.folder == self.special_folder(r.account, "trash")
            or self.special_folder(r.account, "trash") is None
            for r in rows
        )

    def delete(self, rows: Sequence[MessageRow]) -> None:
        """To Trash (undoable); in Trash itself, or with no Trash, expunged."""
        self.begin("delete", rows)()

    def archive(self, rows: Sequence[MessageRow]) -> None:
        self.begin("archive", rows)()

    def begin(self, action: str, rows: Sequence[MessageRow]) -> Callable[[], None]:
        """Apply a user action to the local store now (fast, no network: the list shows
        it at once) and return the rest (tell the server, refresh, remember the undo),
        which the caller runs next, from a worker, in the order the actions were typed.

        `action`: "delete", "archive", "flag", "unflag", "read", "unread". `rows` may be a
        batch (tagged rows, from several folders and accounts): it is ONE undo entry."""
        rows = [r for r in rows if r.id >= 0]  # thread placeholders are no messages
        if not rows:
            return lambda: None
        if action in ("flag", "unflag", "read", "unread"):
            method = {"read": "mark_read", "unread": "mark_unread"}.get(action, action)
            attr, wanted = {
                "flag": ("flagged", True),
                "unflag": ("flagged", False),
                "read": ("seen", True),
                "unread": ("seen", False),
            }[action]
            changed = [r for r in rows if getattr(r, attr) != wanted]
            remote = self._act_local(rows, method)
            back = {"mark_read": "mark_unread", "mark_unread": "mark_read"}.get(
                method, "unflag" if method == "flag" else "flag"
            )

            def flags_remote() -> None:
                remote()
                if changed:
                    self._undo.append(
                        (Undone(action, len(changed)), lambda: self._act(changed, back))
                    )

            return flags_remote
        if action not in ("delete", "archive"):
            raise ValueError(action)
        steps: list[Callable[[], Callable[[], None] | None]] = []
        for account, ids in self._by_account(rows).items():
            steps.append(self._begin_in(action, account, [r for r in rows if r.id in set(ids)]))
        done = Undone(action, len(rows))

        def remote() -> None:
            undos = [u for u in (step() for step in steps) if u is not None]
            if undos:
                self._undo.append((done, lambda: _undo_each(undos)))

        return remote

    def _begin_in(
        self, action: str, account: str, rows: list[MessageRow]
    ) -> Callable[[], Callable[[], None] | None]:
        """The local part of a delete/archive in one account; returns the remote part,
        which returns the undo for this account (None: nothing to undo)."""
        backend = self.backend(account)
        ids = [r.id for r in rows]
        if action == "archive":
            backend.actions.archive(ids)
            target = self.special_folder(account, "archive") or "Archive"
            return lambda: self._moved_remote(account, rows, target)
        trash = self.special_folder(account, "trash")
        if backend.pop3_state is not None:  # for delete_on_server_when_deleted_locally
            backend.pop3_state.mark_deleted_locally(account, ids)
        backend.actions.delete(ids)
        if trash and any(r.folder != trash for r in rows):
            return lambda: self._moved_remote(account, rows, trash)

        def purge() -> None:
            self._changed(rows)
            backend.flush()

        return purge

    def _moved_remote(
        self, account: str, rows: Sequence[MessageRow], target: str | None
    ) -> Callable[[], None]:
        """Tell the server about a local move in `account`; returns its undo."""
        backend = self.backend(account)
        self._changed(rows, *([(account, target)] if target else []))
        backend.flush()
        if target:
            try:
                backend.refresh_folder(target)  # the moved rows get their new UIDs
            except Exception as exc:
                self._emit(ServiceEvent("error", account, target, error=exc))
        origins = sorted({r.folder for r in rows})
        return lambda: self._undo_in(account, target, origins)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo(self) -> Undone:
        """Take back the last undoable action; what it was (the edge words it)."""
        if not self._undo:
            raise ServiceError(reason="nothing-to-undo")
        done, fn = self._undo.pop()
        fn()
        return done


def _undo_each(undos: Sequence[Callable[[], None]]) -> None:
    """One batch's undo, account by account: an account whose messages are gone does
    not keep the others' back; said only when none could be put back."""
    gone: ServiceError | None = None
    done = False
    for undo in undos:
        try:
            undo()
        except ServiceError as exc:
            if exc.reason != "undo-gone":
                raise
            gone = exc
        else:
            done = True
    if gone is not None and not done:
        raise gone
