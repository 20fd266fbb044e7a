"""User actions on messages and folders: applied to the store at once, queued for the
server, replayed when a connection is there (the queue is in the store, so it survives a
restart).

    actions = MailActions(store, account)
    actions.mark_read([local_id, ...]) / mark_unread / flag / unflag
    actions.delete(ids)        # to Trash; in Trash or with no Trash: \\Deleted + expunge
    actions.move(ids, "Archive/2024"); actions.copy(ids, "X"); actions.archive(ids)
    actions.create_folder("X"); actions.rename_folder("X", "Y"); actions.delete_folder("Y")
    actions.undo()             # the last move or delete (True; False: none; None: gone)
    actions.flush(connect)     # replay the queue now on a fresh connection (any thread)

`SyncEngine.sync()` replays the queue first on its own connection, then syncs, so the
server's state wins: an action whose message is gone on the server is dropped, and
whatever the server says afterwards is what the store shows. Actions naming UIDs of a
folder whose UIDVALIDITY changed since are never applied by those UIDs: their messages
are found by Message-ID (an action none of whose messages has one fails with a
sentence, see `store.actions(name, "failed")`).

A move or copy puts its rows in the target folder at once, without a UID; with UIDPLUS the
server's COPYUID names their new UIDs as soon as it did it (checked: tuimail.core.imap.
copyuid), so they open at once and an undo moves exactly those messages back. Otherwise
(or when the answer does not hold up) the next sync matches them (store._placeholder_for).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from tuimail.core.account import Account
from tuimail.core.errors import Failure, MailError, Refused, error_record
from tuimail.core.imap import copyuid
from tuimail.core.imap.errors import classify_imap
from tuimail.core.imap.idle_folder import still_listed
from tuimail.core.imap.session import (
    Connector,
    capabilities,
    close_quietly,
    is_connection_error,
)
from tuimail.core.store import MessageRow, PendingAction, Store

log = logging.getLogger("tuimail.imap.actions")


class ActionError(Refused):
    """An action that cannot be applied (a folder gone, UIDVALIDITY changed, refused);
    its `reason` and `data` say which (errors.REASONS), worded at the edge (tuimail.words)."""

    def __init__(self, message: str = "", **kw) -> None:
        kw.setdefault("protocol", "imap")
        super().__init__(message, **kw)


@dataclass
class _Undo:
    kind: str  # "move"
    action_id: int | None
    moves: list[tuple[int, str, int | None]]  # (local id, original folder, original uid)
    target: str


class MailActions:
    def __init__(self, store: Store, account: Account) -> None:
        self.store = store
        self.account = account
        self.store.account_id(account.name, account.email, account.protocol)
        self._undo: _Undo | None = None
        self._lock = threading.Lock()

    # -- flags -----------------------------------------------------------------------------

    def mark_read(self, ids: Iterable[int]) -> None:
        self._flags(ids, add=["\\Seen"])

    def mark_unread(self, ids: Iterable[int]) -> None:
        self._flags(ids, remove=["\\Seen"])

    def flag(self, ids: Iterable[int]) -> None:
        self._flags(ids, add=["\\Flagged"])

    def unflag(self, ids: Iterable[int]) -> None:
        self._flags(ids, remove=["\\Flagged"])

    def _flags(self, ids: Iterable[int], add: Sequence[str] = (), remove: Sequence[str] = ()):
        ids = list(ids)
        with self.store.transaction():
            # Read within the write transaction: a folder rebuilt by a sync meanwhile
            # (new UIDVALIDITY) never gets its old UIDs queued under its new UIDVALIDITY.
            rows = self.store.messages_by_ids(ids)
            self.store.set_message_flags([r.id for r in rows], add, remove)
            for folder, group in self._by_folder(rows).items():
                self._enqueue("flags", folder, group, add=list(add), remove=list(remove))

    # -- moves -------------------------------------------------------------------------------

    def move(self, ids: Iterable[int], target: str) -> None:
        self._move(list(ids), target, remember=True)

    def copy(self, ids: Iterable[int], target: str) -> list[int]:
        """Copy to `target` now (new rows, no UID yet); the queued copy names each new
        row beside its original ("copies"), so the server's COPYUID can give it its UID."""
        ids = list(ids)
        target_id = self._folder_id(target)
        with self.store.transaction():
            rows = self.store.messages_by_ids(ids)  # (within: see _flags)
            new_ids = self.store.copy_messages([r.id for r in rows], target_id)
            copies: dict[int, int] = {}
            if len(new_ids) == len(rows):  # (a row gone meanwhile: none is paired)
                copies = dict(zip([r.id for r in rows], new_ids, strict=True))
            for folder, group in self._by_folder(rows).items():
                made = [copies.get(r.id) for r in group]
                self._enqueue("copy", folder, group, target=target, copies=made)
        return new_ids

    def archive(self, ids: Iterable[int]) -> None:
        folder = self.store.folder_by_role(self.account.name, "archive")
        if folder is None:
            self.create_folder("Archive")
            name = "Archive"
        else:
            name = folder.name
        self._move(list(ids), name, remember=True)

    def delete(self, ids: Iterable[int]) -> None:
        """To Trash (undoable); messages already in Trash, or with no Trash, are expunged."""
        rows = self.store.messages_by_ids(list(ids))
        trash = self.store.folder_by_role(self.account.name, "trash")
        to_trash = [r.id for r in rows if trash is not None and r.folder_id != trash.id]
        purge = [r for r in rows if r.id not in set(to_trash)]
        if to_trash:
            self._move(to_trash, trash.name, remember=True)
        if purge:
            self._purge([r.id for r in purge])

    def purge(self, ids: Iterable[int]) -> None:
        """Remove for ever (\\Deleted + expunge of these UIDs only), never via Trash."""
        self._purge([r.id for r in self.store.messages_by_ids(list(ids))])

    def _purge(self, ids: list[int]) -> None:
        with self.store.transaction():
            rows = self.store.messages_by_ids(ids)  # (within: see _flags)
            self.store.remove_messages([r.id for r in rows])
            for folder, group in self._by_folder(rows).items():
                self._enqueue("expunge", folder, group)

    def _move(self, ids: list[int], target: str, remember: bool) -> int:
        """Move the rows of `ids` not in `target` yet; how many were moved."""
        if not [r for r in self.store.messages_by_ids(ids) if r.folder != target]:
            return 0
        target_id = self._folder_id(target)
        action_ids = []
        with self.store.transaction():
            rows = [r for r in self.store.messages_by_ids(ids) if r.folder != target]  # (_flags)
            self.store.move_messages([r.id for r in rows], target_id)
            for folder, group in self._by_folder(rows).items():
                action_ids.append(self._enqueue("move", folder, group, target=target))
        if remember:
            self._undo = _Undo(
                "move",
                action_ids[0] if len(action_ids) == 1 else None,
                [(r.id, r.folder, r.uid) for r in rows],
                target,
            )
        return len(rows)

    def undo(self) -> bool | None:
        """Undo the last move or delete-to-Trash; False if there is nothing to undo, None
        if its messages are gone (removed on the server meanwhile): nothing was put back."""
        undo, self._undo = self._undo, None
        if undo is None:
            return False
        pending = {a.id for a in self.store.actions(self.account.name)}
        if undo.action_id is not None and undo.action_id in pending:
            # The server never saw it: forget the action and put the rows back as they were.
            with self.store.transaction() as c:
                self.store.finish_action(undo.action_id, None)
                c.execute("UPDATE actions SET state = 'cancelled' WHERE id = ?", (undo.action_id,))
                for local_id, folder, uid in undo.moves:
                    folder_id = self._folder_id(folder)
                    c.execute(
                        "UPDATE messages SET folder_id = ?, uid = ? WHERE id = ?",
                        (folder_id, uid, local_id),
                    )
            return True
        by_origin: dict[str, list[int]] = defaultdict(list)
        for local_id, folder, _uid in undo.moves:
            by_origin[folder].append(local_id)
        moved = sum(self._move(ids, folder, remember=False) for folder, ids in by_origin.items())
        return True if moved else None

    # -- folders ---------------------------------------------------------------------------

    def create_folder(self, name: str) -> int:
        with self.store.transaction():
            folder_id = self.store.upsert_folder(
                self.account.name, name, delimiter="/", local=self.account.protocol == "pop3"
            )
            self.store.enqueue_action(self.account.name, "create_folder", {"name": name})
        return folder_id

    def rename_folder(self, old: str, new: str) -> None:
        with self.store.transaction():
            folder_id = self._folder_id(old)
            self.store.rename_folder(folder_id, new)
            self.store.enqueue_action(self.account.name, "rename_folder", {"old": old, "new": new})

    def delete_folder(self, name: str) -> None:
        with self.store.transaction():
            self.store.delete_folder(self._folder_id(name))
            self.store.enqueue_action(self.account.name, "delete_folder", {"name": name})

    # -- replay ----------------------------------------------------------------------------

    def flush(self, connect: Connector) -> list[str]:
        """Replay the queue on a fresh connection; returns errors (sentences)."""
        client = connect()
        try:
            return replay(self.store, self.account, client, capabilities(client))
        finally:
            close_quietly(client)

    # -- helpers ---------------------------------------------------------------------------

    def _folder_id(self, name: str) -> int:
        folder_id = self.store.folder_id(self.account.name, name)
        if folder_id is None:
            raise ActionError(reason="no-folder", data={"folder": name})
        return folder_id

    @staticmethod
    def _by_folder(rows: list[MessageRow]) -> dict[str, list[MessageRow]]:
        groups: dict[str, list[MessageRow]] = defaultdict(list)
        for row in rows:
            groups[row.folder].append(row)
        return groups

    def _enqueue(self, kind: str, folder: str, rows: list[MessageRow], **extra) -> int:
        info = self.store.folder((self.account.name, folder), counts=False)
        payload = {
            "folder": folder,
            "uidvalidity": info.uidvalidity if info else None,
            # (size and arrival date: what tells one message from another holding the same
            # Message-ID, should its UID have to be found again: _renumbered)
            "items": [[r.id, r.uid, r.message_id, r.modseq, r.size, r.internaldate] for r in rows],
            **extra,
        }
        return self.store.enqueue_action(self.account.name, kind, payload)


# -- replaying the queue on the server ------------------------------------------------------


def replay(store: Store, account: Account, client: IMAPClient, caps: set[str]) -> list[Failure]:
    """Apply every pending action in order. A lost connection stops the replay (the rest
    stays queued); a refused action is marked failed (the store keeps the typed error's
    record) and returned as a Failure (action: its kind, folder: its folder)."""
    errors: list[Failure] = []
    touched: set[tuple[str, int]] = set()  # changed by this replay: our own modseq bumps
    queue = store.actions(account.name)
    for action in queue:
        try:
            _apply(store, account, client, caps, action, touched, queue)
        except Exception as exc:
            if is_connection_error(exc):
                raise
            error = classify_imap(exc, host=account.incoming.host)
            store.finish_action(action.id, json.dumps(error_record(error)))
            folder = str(action.payload.get("folder") or "")
            errors.append(Failure(error, account.name, folder, action.kind))
            continue
        store.finish_action(action.id)
        if action.kind == "flags" and "CONDSTORE" in caps:
            try:
                _refresh(store, account, client, action.payload)
            except Exception as exc:
                if is_connection_error(exc):
                    raise  # applied; the next sync brings the flags and MODSEQs
    return errors


def _apply(
    store: Store,
    account: Account,
    client: IMAPClient,
    caps: set[str],
    action: PendingAction,
    touched: set[tuple[str, int]],
    queue: list[PendingAction],
) -> None:
    """Do one queued action on the server. `queue`: the whole replay's (a move's COPYUID
    names the new UIDs in the actions after it, _name_in_queue)."""
    kind, p = action.kind, action.payload
    if kind == "create_folder":
        if not _exists(client, p["name"]):
            client.create_folder(p["name"])
        try:
            client.subscribe_folder(p["name"])
        except IMAPClientError:
            pass
        return
    if kind == "rename_folder":
        client.rename_folder(p["old"], p["new"])
        return
    if kind == "delete_folder":
        if _exists(client, p["name"]):
            client.delete_folder(p["name"])
        return
    folder = p["folder"]
    if not _exists(client, folder):
        raise ActionError(reason="folder-gone", data={"folder": folder})
    info = client.select_folder(folder)
    if p.get("uidvalidity") is not None and info.get(b"UIDVALIDITY") != p["uidvalidity"]:
        # A new UIDVALIDITY since it was queued: each message is found again by its
        # Message-ID, never guessed (_renumbered). One without a Message-ID is not found;
        # with none found at all, the action fails.
        if not any(len(item) > 2 and item[2] for item in p["items"]):
            raise ActionError(reason="renumbered", data={"folder": folder})
        p["items"], ambiguous = _renumbered(client, p["items"])
        if ambiguous:  # which message was meant cannot be told: nothing is done
            raise ActionError(reason="renumbered", data={"folder": folder})
        p["uidvalidity"] = info.get(b"UIDVALIDITY")
    found = _resolve(client, p["items"])
    uids = [uid for _index, uid in found]
    if not uids:
        return  # the messages are gone on the server: the server wins
    if kind == "flags":
        modseqs = {item[1]: item[3] for item in p["items"] if len(item) > 3 and item[1]}
        fresh = [u for u in uids if (folder, u) not in touched]
        touched.update((folder, u) for u in uids)
        if "CONDSTORE" in caps and fresh == uids and all(modseqs.get(u) for u in uids):
            _store_unchanged_since(client, uids, modseqs, p.get("add", []), p.get("remove", []))
            return
        if p.get("add"):
            client.add_flags(uids, p["add"], silent=True)
        if p.get("remove"):
            client.remove_flags(uids, p["remove"], silent=True)
    elif kind in ("copy", "move"):
        _transfer(store, account, client, caps, action, found, queue)
    elif kind == "expunge":
        _expunge(client, caps, uids)
    else:
        raise ActionError(reason="unknown-action", data={"kind": kind})


def _exists(client: IMAPClient, name: str) -> bool:
    """Whether the server lists `name`, read with our LIST parser (idle_folder.still_listed):
    imapclient's folder_exists cannot read a listed name such as `a]b[c` that Dovecot
    sends unquoted, and every action in that folder (an undo putting a message back from
    it included) failed as a protocol violation and was retried for ever. When our
    reading says nothing (LIST refused), imapclient's answer is taken as before."""
    listed = still_listed(client, name)
    return client.folder_exists(name) if listed is None else listed


def _store_unchanged_since(
    client: IMAPClient, uids: list[int], modseqs: dict[int, int], add: list, remove: list
) -> None:
    """STORE ... (UNCHANGEDSINCE m): a message another client changed after we last saw
    it keeps the server's flags (the server wins; the next sync shows them)."""
    from tuimail.core.imap.sync import uid_set

    by_modseq: dict[int, list[int]] = defaultdict(list)
    for uid in uids:
        by_modseq[modseqs[uid]].append(uid)
    imap = client._imap
    for modseq, group in by_modseq.items():
        for op, flags in (("+FLAGS.SILENT", add), ("-FLAGS.SILENT", remove)):
            if not flags:
                continue
            typ, data = imap.uid(
                "STORE", uid_set(group), f"(UNCHANGEDSINCE {modseq})", op, f"({' '.join(flags)})"
            )
            if typ != "OK":
                said = b" ".join(d for d in data or [] if isinstance(d, bytes))
                raise ActionError(
                    reason="refused-to",
                    data={"what": "change-flags"},
                    server_text=said.decode("utf-8", "replace")[:200] or None,
                )


def _refresh(store: Store, account: Account, client: IMAPClient, payload: dict) -> None:
    """Read back FLAGS and MODSEQ of the messages a flag change touched: our STORE bumped
    their MODSEQ, and the next queued change is sent UNCHANGEDSINCE the stored one (a
    stale value would be refused). After a refusal this also shows the server's flags."""
    folder_id = store.folder_id(account.name, payload["folder"])
    uids = [item[1] for item in payload["items"] if item[1]]
    if folder_id is None or not uids:
        return
    data = client.fetch(uids, ["UID", "FLAGS", "MODSEQ"])
    flags: dict[int, tuple[str, ...]] = {}
    modseqs: dict[int, int] = {}
    for uid, item in data.items():
        if uid not in uids or b"FLAGS" not in item:
            continue
        flags[uid] = tuple(
            f.decode("utf-8", "replace") if isinstance(f, bytes) else str(f) for f in item[b"FLAGS"]
        )
        modseq = item.get(b"MODSEQ")
        if modseq:
            modseqs[uid] = int(modseq[0] if isinstance(modseq, list | tuple) else modseq)
    store.set_flags(folder_id, flags, modseqs)


def _expunge(client: IMAPClient, caps: set[str], uids: list[int]) -> None:
    client.add_flags(uids, [b"\\Deleted"], silent=True)
    if "UIDPLUS" in caps:
        client.uid_expunge(uids)
    else:
        client.expunge()


def _transfer(
    store: Store,
    account: Account,
    client: IMAPClient,
    caps: set[str],
    action: PendingAction,
    found: list[tuple[int, int]],
    queue: list[PendingAction],
) -> None:
    """UID COPY or UID MOVE (without MOVE: COPY, then \\Deleted and expunge) of the
    `found` (item index, UID) to p["target"]; with UIDPLUS the rows waiting there get
    the UIDs the server's COPYUID names, once confirmed (_adopt)."""
    kind, p = action.kind, action.payload
    uids = [uid for _index, uid in found]
    copyuid.forget(client)
    if kind == "move" and "MOVE" in caps:
        client.move(uids, p["target"])
    else:
        client.copy(uids, p["target"])
    said = copyuid.take(client)
    if kind == "move" and "MOVE" not in caps:
        _expunge(client, caps, uids)
    if said is None or "UIDPLUS" not in caps:
        return  # the next sync matches the rows waiting in the target folder
    try:
        _adopt(store, account, client, action, found, said, queue)
    # Done on the server: the next sync matches the rows instead. Only the read-back's
    # failures (the server's: typed, imaplib's, the socket's; the store's) are expected
    # here; anything else is a bug and reaches the replay.
    except (MailError, IMAPClientError, OSError, sqlite3.Error) as exc:
        log.info("%s: COPYUID not used: %r", account.name, exc)
        if is_connection_error(exc):
            # Done, so never sent again (a copy would be made twice); then the connection
            # is given up as after any other command (the replay stops here).
            store.finish_action(action.id)
            raise


def _adopt(
    store: Store,
    account: Account,
    client: IMAPClient,
    action: PendingAction,
    found: list[tuple[int, int]],
    said: bytes,
    queue: list[PendingAction],
) -> None:
    """Give the rows a move (the moved rows) or a copy (the new rows, p["copies"]) put in
    the target folder the UIDs the server named in its COPYUID `said`, when its
    UIDVALIDITY is the folder's stored one and a read-back shows each UID holds its row's
    message. Anything else (a lie, a folder never synced) changes nothing: the rows
    wait for the next sync as without UIDPLUS."""
    kind, p = action.kind, action.payload
    target = store.folder((account.name, p["target"]), counts=False)
    if target is None or target.uidvalidity is None:
        return
    answer = copyuid.parse(said, [uid for _index, uid in found])
    if answer is None or answer.uidvalidity != target.uidvalidity:
        return
    items = p["items"]
    ids = p.get("copies") if kind == "copy" else [item[0] for item in items]
    if not isinstance(ids, list) or len(ids) != len(items):
        return  # a copy queued before copies were recorded
    local: dict[int, list[int | None]] = defaultdict(list)
    for index, uid in found:
        local[uid].append(ids[index])
    rows: dict[int, MessageRow] = {}
    for source, dest in answer.pairs.items():
        if len(local[source]) != 1 or not isinstance(local[source][0], int):
            continue  # two queued items found one message: which row is whose is unknown
        if store.message_by_uid(target.id, dest) is not None:
            return  # a UID the folder's stored mail has already: not a new copy
        row = store.message(local[source][0])
        if row is not None and row.folder_id == target.id and row.uid is None:
            rows[dest] = row
    if not rows or not copyuid.confirmed(client, target.name, answer.uidvalidity, rows):
        return
    given = set(store.set_uids(target.id, {row.id: uid for uid, row in rows.items()}))
    named = {row.id: uid for uid, row in rows.items() if row.id in given}
    _name_in_queue(store, queue, action.id, target.name, named)


def _name_in_queue(
    store: Store, queue: list[PendingAction], after: int, folder: str, uids: dict[int, int]
) -> None:
    """The actions of `queue` after `after` in `folder` on rows that just got their UID
    (local id -> UID; a flag change or another move typed before the server had done
    this one) now name that UID, in the store and in `queue` (the replay goes on with
    it), so they reach exactly that message rather than one found by Message-ID."""
    if not uids:
        return
    for later in queue:
        payload = later.payload
        if later.id <= after:
            continue
        if payload.get("folder") != folder or not isinstance(payload.get("items"), list):
            continue
        named = False
        for item in payload["items"]:
            if item[1] is None and item[0] in uids:
                item[1] = uids[item[0]]
                named = True
        if named:
            store.update_action(later.id, payload)


def _renumbered(client: IMAPClient, items: list) -> tuple[list, int]:
    """Queued items of a folder whose UIDVALIDITY changed, each with the UID of the one
    message that is the item's now, or with neither (not found: left alone). That message
    holds the item's Message-ID and has its size and arrival date (queued with it): a
    message and its list copy share a Message-ID, and when the item's own message is
    gone (deleted elsewhere) the copy must not be taken for it. An item queued without
    its size and date (an older tuimail) is not looked for. Several candidates are
    never guessed between: those are counted (the second value), and the caller then
    applies nothing. MODSEQs are dropped (another UIDVALIDITY's)."""
    out: list = []
    ambiguous = 0
    for item in items:
        message_id = item[2] if len(item) > 2 else None
        known = len(item) > 5 and item[4] is not None and item[5] is not None
        matches = _exact(client, message_id, (item[4], item[5])) if message_id and known else []
        if len(matches) > 1:
            ambiguous += 1
        uid = matches[0] if len(matches) == 1 else None
        out.append([item[0], uid, message_id if uid else None])
    return out, ambiguous


def _message_ids(client: IMAPClient, uids: list[int]) -> dict[int, tuple[str, int, float | None]]:
    """{UID: (its Message-ID as the store keeps it, its size, its arrival date)} of those
    of `uids` still there."""
    if not uids:
        return {}
    from tuimail.core.store.headers import summarize_header

    item = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
    normalise, client.normalise_times = client.normalise_times, False  # (zone-aware dates)
    try:
        answer = client.fetch(
            uids, [b"RFC822.SIZE", b"INTERNALDATE", b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]
        )
    finally:
        client.normalise_times = normalise
    out = {}
    for uid, data in answer.items():
        if not isinstance(uid, int):
            continue
        date = data.get(b"INTERNALDATE")
        out[uid] = (
            summarize_header(bytes(data.get(item) or b"")).message_id,
            data.get(b"RFC822.SIZE"),
            date.timestamp() if hasattr(date, "timestamp") else None,
        )
    return out


def _exact(client: IMAPClient, message_id: str, size_date: tuple) -> list[int]:
    """The UIDs whose Message-ID is `message_id` (SEARCH HEADER matches substrings) and
    whose (size, arrival date) is `size_date`."""
    found = client.search(["HEADER", "Message-ID", message_id])
    return sorted(
        uid
        for uid, (mid, size, date) in _message_ids(client, found).items()
        if mid == message_id and (size, date) == tuple(size_date)
    )


def _resolve(client: IMAPClient, items: list) -> list[tuple[int, int]]:
    """(index in `items`, server UID) of the queued items still on the server; items
    without a UID are found by Message-ID (the newest message that has it)."""
    found = [(i, item[1]) for i, item in enumerate(items) if item[1] is not None]
    if found:
        present = set(client.search(["UID", ",".join(str(uid) for _i, uid in found)]))
        found = [(i, uid) for i, uid in found if uid in present]
    for i, item in enumerate(items):
        uid, message_id = item[1], item[2]
        if uid is None and message_id:
            matches = client.search(["HEADER", "Message-ID", message_id])
            if matches:
                found.append((i, max(matches)))
    return found
