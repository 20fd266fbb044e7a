"""Make the local store equal to the IMAP server.

    engine = SyncEngine(store, account, connector(account, password, ca_file=...),
                        progress=lambda folder, done, total: ...)
    result = engine.sync()                 # one pass over every folder; SyncResult
    engine.sync_folder("INBOX")            # one folder
    raw = engine.fetch_body(message_id)    # fetch + cache a body (BODY.PEEK[])
    engine.replay_actions()                # the queue only (sync() does it first anyway)
    engine.retrying(lambda: ...)           # your own idempotent step on engine.client
    engine.capabilities                    # {"IDLE", "MOVE", "CONDSTORE", ...}
    engine.close()

One engine holds one connection, so use it from one thread. Each step writes the store in
its own transaction and is idempotent, so a dropped connection is retried on a fresh one
and nothing is duplicated or lost. Per folder:

1. SELECT; if UIDVALIDITY changed, the messages at every stored UID are compared by
   Message-ID (mbsync's check, made exact; only the fields compared are fetched): the
   same messages (a server that changes UIDVALIDITY at every session without
   renumbering) keep the cache; otherwise the folder's cache is dropped and fetched
   again, never guessed (placeholders of local moves stay; queued actions naming its
   old UIDs find their messages by Message-ID when replayed, tuimail.core.imap.actions).
   Either is said, once, by the pass in which it was found: FolderResult.renumbered.
2. Flag changes: CHANGEDSINCE the stored HIGHESTMODSEQ (CONDSTORE), else all FLAGS.
3. New mail: UIDs above the newest stored, fetched newest first in growing batches (the
   first holds 100 messages, so the newest page is in the store at once).
4. If the store and the server still disagree on the count (expunges, or holes left by an
   interrupted first sync), one UID SEARCH ALL settles it: fetch what is missing, forget
   what is gone.
5. Only then UIDNEXT/HIGHESTMODSEQ are stored, so an interrupted pass is simply redone.

Unchanged folders are skipped after a STATUS (same UIDVALIDITY, UIDNEXT, MESSAGES and,
with CONDSTORE, HIGHESTMODSEQ), which keeps a no-change re-sync fast. A server with
LIST-STATUS (RFC 5819) answers one LIST with every folder's STATUS and subscription: a pass
then sends no LSUB and no STATUS, and EXAMINEs no folder empty on both sides.
"""

from __future__ import annotations

import bisect
import calendar
import imaplib
import logging
import re
import time
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from operator import itemgetter

from imapclient import IMAPClient

from tuimail.core.account import Account
from tuimail.core.bulk_gc import fewer_collections
from tuimail.core.connect import _IMAP4, bulk, kept_literals, shut, watch_opening
from tuimail.core.errors import (
    LIST,
    SYNC,
    ConnectionLost,
    Failure,
    MailError,
    ProtocolViolation,
    Refused,
    TimedOut,
)
from tuimail.core.imap.ahead import answers_ahead
from tuimail.core.imap.errors import classify_imap, response_code
from tuimail.core.imap.fetchscan import MAX_KEPT_LITERAL, META, Fetch, Plain, read_answer
from tuimail.core.imap.liststatus import Status, list_with_status
from tuimail.core.imap.names import (
    ListEntry,
    ListRefused,
    UnreadableLine,
    account_owner,
    folder_status,
    list_folders,
    remember_raw,
)
from tuimail.core.imap.session import (
    Connector,
    ImapError,
    capabilities,
    close_quietly,
    keeps_connection,
)
from tuimail.core.imap.uidlist import search_uids
from tuimail.core.store import FolderInfo, NewMessage, Store
from tuimail.core.store.headers import summarize_header
from tuimail.core.store.store import NOTE_UNREADABLE_ANSWER, flag_columns
from tuimail.core.store.worker import Summaries

Progress = Callable[[str, int, int], None]
log = logging.getLogger("tuimail.imap.sync")

HEADER_FIELDS = b"FROM TO CC SUBJECT DATE MESSAGE-ID IN-REPLY-TO REFERENCES CONTENT-TYPE"
HEADER_ITEM = b"BODY.PEEK[HEADER.FIELDS (" + HEADER_FIELDS + b")]"
FIRST_BATCH = 100
# 1,000 headers a command: with the header worker (store.worker) a batch is summarised
# while the next is fetched, and a finer pipeline waits less at its start and end than
# 2,000 did (10k cold: 0.91x-0.98x of neomutt's wall against 0.95x-1.05x in the same
# rounds, peak RSS 35 MB against 37.5; 500 was slower again).
BATCH = 1000
RETRIES = 3
# Reconnects a folder pass may spend finding the message(s) a server could not send
# (_narrow): what is still unresolved then is reported and asked for again next pass.
NARROW_RECONNECTS = 4
NARROW_FETCHES = 64  # and commands
SMALL_REST = 4  # a failed rest of this many UIDs or fewer is asked for one at a time
VERIFY_BATCH = 2000  # stored UIDs a command, compared after a UIDVALIDITY change (_same_messages)
# What _same_messages compares of each stored UID, and nothing more (not the list's
# whole header): the Message-ID, or without one the size, arrival date, subject, sender.
VERIFY_ITEMS = "UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT FROM)]"
# Response codes of a NO that is about the server, not one message: not narrowed.
_SERVER_WIDE = frozenset({"UNAVAILABLE", "INUSE", "LIMIT"})
# CPU seconds of search indexing of downloaded bodies per sync pass (the rest waits for
# the next pass): a first offline sync of a big mailbox is not held up by the index.
INDEX_BUDGET = 2.0
MAX_UID = (1 << 32) - 1

ROLE_FLAGS = {
    b"\\SENT": "sent",
    b"\\DRAFTS": "drafts",
    b"\\TRASH": "trash",
    b"\\JUNK": "junk",
    b"\\ARCHIVE": "archive",
    b"\\ALL": "all",
    b"\\FLAGGED": "flagged",
}
ROLE_NAMES = {
    "sent": {"sent", "sent items", "sent messages", "sent mail", "gesendet", "envoyés"},
    "drafts": {"drafts", "draft", "entwürfe", "brouillons"},
    "trash": {"trash", "deleted items", "deleted messages", "bin", "papierkorb", "corbeille"},
    "junk": {"junk", "spam", "junk e-mail", "junk email", "bulk mail"},
    "archive": {"archive", "archives"},
}


@dataclass
class FolderResult:
    folder: str
    new: int = 0
    changed: int = 0
    removed: int = 0
    rebuilt: bool = False
    skipped: bool = False
    # UIDVALIDITY changed: "same-messages" (the cache was kept) or "rebuilt" (fetched again)
    renumbered: str = ""
    # rebuilt: the Message-IDs the folder's dropped rows had (their messages are not new)
    known: frozenset[str] = frozenset()
    # Messages the server could not send this pass (UID -> its failure): not stored,
    # asked for again by the next pass (_narrow).
    unreadable: dict[int, MailError] = field(default_factory=dict)


@dataclass
class SyncResult:
    account: str
    folders: list[FolderResult] = field(default_factory=list)
    # What failed, typed (the words are made at the edge, tuimail.words): a folder that
    # could not be synced (folder set), the whole account (folder ""), an unreadable LIST
    # line (action LIST). The other folders were synced.
    failures: list[Failure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not tried: the server stopped answering
    seconds: float = 0.0
    refused_actions: list[Failure] = field(default_factory=list)  # queued changes not applied
    # Messages stored by folder passes that then failed (kept: the next pass does not
    # fetch them again); counted in `new`.
    kept: int = 0
    failure: MailError | None = None  # the account-level failure (typed), if any

    @property
    def ok(self) -> bool:
        """Every folder synced (refused queued actions aside)."""
        return not self.failures and not self.skipped

    @property
    def new(self) -> int:
        return sum(f.new for f in self.folders) + self.kept

    @property
    def changed(self) -> int:
        return sum(f.changed for f in self.folders)

    @property
    def removed(self) -> int:
        return sum(f.removed for f in self.folders)

    def as_dict(self) -> dict:
        return {
            "account": self.account,
            "folders": len(self.folders),
            "new": self.new,
            "changed": self.changed,
            "removed": self.removed,
            "rebuilt": [f.folder for f in self.folders if f.rebuilt],
            "renumbered": [
                {"folder": _safe(f.folder), "reason": f.renumbered}
                for f in self.folders
                if f.renumbered
            ],
            "failures": [failure_dict(f) for f in self.failures],
            "skipped": list(self.skipped),
            "seconds": round(self.seconds, 3),
        }


def failure_dict(failure: Failure) -> dict:
    """A failure as data (for --json): where, the error's kind and the server's code and
    words (sanitised)."""
    error = failure.error
    code = getattr(error, "code", None)
    return {
        "folder": _safe(failure.folder),
        "action": failure.action,
        "kind": getattr(error, "kind", "error"),
        "protocol": getattr(error, "protocol", None),
        "code": code if isinstance(code, int) or code is None else _safe(str(code)),
        "server_text": _safe(getattr(error, "server_text", None) or "") or None,
    } | _unreadable_data(error)


def _unreadable_data(error: BaseException) -> dict:
    """For --json: the reason and UIDs of messages the server could not send (and only
    those: the other failures' keys are as they were)."""
    if getattr(error, "reason", "") != "unreadable-messages":
        return {}
    data = getattr(error, "data", {})
    return {"reason": "unreadable-messages", "uids": list(data.get("uids", ())),
            "count": data.get("count", 0)}  # fmt: skip


def uid_set(uids: Iterable[int]) -> str:
    """[1, 2, 3, 7] -> '1:3,7' (short commands for big folders)."""
    out: list[str] = []
    run_start = prev = None
    for uid in sorted(set(uids)):
        if prev is not None and uid == prev + 1:
            prev = uid
            continue
        if run_start is not None:
            out.append(f"{run_start}:{prev}" if prev != run_start else str(run_start))
        run_start = prev = uid
    if run_start is not None:
        out.append(f"{run_start}:{prev}" if prev != run_start else str(run_start))
    return ",".join(out)


def uid_search(
    client: IMAPClient, criteria: str, *, exists: int = 0, esearch: bool = False
) -> list[int]:
    """UID SEARCH with the result parsed here (imapclient's parser is slow on 100k UIDs),
    bounded by the folder's EXISTS; with ESEARCH as one compact UID set (see uidlist)."""
    return search_uids(client, criteria, exists=exists, esearch=esearch)


def uid_ranges(text: str) -> list[tuple[int, int]]:
    """'1:3,7' -> [(1, 3), (7, 7)], never expanded: a server may say 1:4294967295."""
    out: list[tuple[int, int]] = []
    for part in text.strip().split(","):
        low, _, high = part.strip().partition(":")
        try:
            a, b = int(low), int(high or low)
        except ValueError:
            continue
        out.append((min(a, b), max(a, b)))
    return out


def known_in_ranges(known_sorted: list[int], ranges: list[tuple[int, int]]) -> set[int]:
    """The UIDs of `known_sorted` that fall in any of `ranges`."""
    out: set[int] = set()
    for low, high in ranges:
        start = bisect.bisect_left(known_sorted, low)
        end = bisect.bisect_right(known_sorted, high)
        out.update(known_sorted[start:end])
    return out


def parse_uid_set(text: str) -> list[int]:
    """'1:3,7' -> [1, 2, 3, 7] (a VANISHED list; '*' never appears there)."""
    out: list[int] = []
    for part in text.strip().split(","):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition(":")
        try:
            a, b = int(low), int(high or low)
        except ValueError:
            continue
        out.extend(range(min(a, b), max(a, b) + 1))
    return out


def folder_role(flags: Sequence[bytes], name: str, delimiter: str | None) -> str | None:
    if name.upper() == "INBOX":
        return "inbox"
    upper = {f.upper() if isinstance(f, bytes) else f.encode().upper() for f in flags}
    for flag, role in ROLE_FLAGS.items():
        if flag in upper:
            return role
    leaf = name.rsplit(delimiter, 1)[-1] if delimiter else name
    for role, names in ROLE_NAMES.items():
        if leaf.lower() in names:
            return role
    return None


def _flags(values: Iterable) -> tuple[str, ...]:
    return tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values)


class SyncEngine:
    def __init__(
        self,
        store: Store,
        account: Account,
        connect: Connector,
        progress: Progress | None = None,
        *,
        first_batch: int = FIRST_BATCH,
        batch: int = BATCH,
    ) -> None:
        self.store = store
        self.account = account
        self._connect = connect
        self.progress = progress
        self.first_batch = first_batch
        self.batch = batch
        self._client: IMAPClient | None = None
        self._opening: list = []  # the socket of a connection being opened (see abort)
        self._aborted = False
        self._caps: set[str] = set()
        self._selected: str | None = None
        self.index_budget: float | None = INDEX_BUDGET  # CPU s of body indexing per pass
        # a pass bringing this many headers summarises them in a worker process
        self.worker_from: int | None = None  # Summaries' default (store.worker)
        self.full_scans = 0  # UID SEARCH ALL reconciliations (QRESYNC makes them rare)
        self.list_errors: list[Failure] = []  # LIST lines the last folder list could not read
        # Each folder's STATUS from the pass's LIST (LIST-STATUS), taken by its folder step;
        # only a sync() pass keeps them, and only until it ends.
        self._listed: dict[str, Status] = {}
        self._list_status_refused = False  # the server refused it once: never asked again
        # Folders whose UIDVALIDITY check lost the connection: rebuilt, not checked again.
        self._unverified: set[str] = set()
        # The folder pass under way: its name and UIDVALIDITY (to open it again after a
        # reconnect), the messages the server could not send, the reconnects spent.
        self._folder: tuple[str, object] | None = None
        self._bad: dict[int, MailError] = {}
        self._reconnects = 0
        self._fetch_failed = False
        # Folder -> the UIDs its last pass found the server cannot send (IDLE skips them).
        self.unreadable: dict[str, set[int]] = {}
        # Folder -> a UIDVALIDITY change taken in a pass of it and not said yet (reason,
        # the Message-IDs of a rebuilt folder's rows): at its start, or on a reconnect in
        # the middle (_reopen). Said once, by the FolderResult of the pass that completes
        # (the same one, or its retry after a lost connection: _taken).
        self._renumbered: dict[str, tuple[str, frozenset[str]]] = {}
        # Messages stored by folder passes (as `new` counts them: _count), ever; and its
        # value when a folder pass last dropped its folder's rows (a rebuild): what a
        # try of a folder that failed stored counts in the `new` of the try that
        # completes (_folder_step).
        self._stored = 0
        self._reset_at = 0
        self.store.account_id(account.name, account.email, account.protocol)

    # -- connection --------------------------------------------------------------------

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            for name in self.store.raw_folder_names(self.account.name):
                # as listed by an earlier pass, maybe in another process
                remember_raw(account_owner(self.account), name)
            if self._aborted:
                raise ConnectionLost(protocol="imap", reason="closed")
            try:
                with watch_opening(self._opened):
                    client = self._connect()
            finally:
                self._opening.clear()
            self._caps = capabilities(client)
            try:
                if self.qresync:
                    client.enable("QRESYNC")
                elif self.condstore:
                    client.enable("CONDSTORE")
            except Exception:
                pass
            self._client = client
            self._selected = None
        return self._client

    @property
    def condstore(self) -> bool:
        return self.account.use_condstore and ("CONDSTORE" in self._caps or "QRESYNC" in self._caps)

    @property
    def qresync(self) -> bool:
        return self.account.use_qresync and self.account.use_condstore and "QRESYNC" in self._caps

    def has(self, capability: str) -> bool:
        self.client  # noqa: B018 - connect to learn the capabilities
        return capability.upper() in self._caps

    def drop_connection(self) -> None:
        client, self._client = self._client, None
        self._selected = None
        if client is not None:
            try:
                client.shutdown()
            except Exception:
                pass

    def close(self) -> None:
        client, self._client = self._client, None
        close_quietly(client)

    def _opened(self, sock) -> None:
        """A socket of the connection being opened (watch_opening); shut at once after
        an abort that came before it existed."""
        self._opening.append(sock)
        if self._aborted:
            shut(sock)

    def abort(self, *, drop: bool = True) -> None:
        """From another thread: end this engine for good. A connection still being opened
        (TLS, greeting, login) is shut down at once, so a pass waiting on a silent server
        ends now rather than at its timeout; no new connection is made after. `drop`:
        the open connection too (else its owner ends it in its own time)."""
        self._aborted = True
        for sock in list(self._opening):
            shut(sock)
        if drop:
            self.drop_connection()

    def _retrying(self, step: Callable[[], object]):
        """Run a step; on a lost connection reconnect and run it again (idempotent).

        Whatever failed without a complete answer (protocol violation, timeout, lost
        connection) drops the connection first: nothing more is sent on it, and the next
        step connects afresh. Only a lost connection is retried here (decided from its type,
        tuimail.core.imap.errors): not a protocol violation (the server would do it again),
        a timeout (each retry would make the user wait the whole timeout again), a refused
        login, a refused or missing STARTTLS or a busy server (the account runtime's retry
        policy decides those)."""
        for attempt in range(RETRIES):
            try:
                return step()
            except Exception as exc:
                if not keeps_connection(exc):
                    self.drop_connection()
                error = classify_imap(exc)
                if not isinstance(error, ConnectionLost) or attempt == RETRIES - 1:
                    raise
                time.sleep(min(0.2 * 2**attempt, 2.0))
        raise AssertionError("unreachable")

    # -- whole account -----------------------------------------------------------------

    def sync(
        self,
        folders: Sequence[str] | None = None,
        *,
        step: Callable[[Callable[[], object]], object] | None = None,
    ) -> SyncResult:
        """One pass: pending actions, the folder list, then every (or the named) folder.

        Each of those is one small step, run through `step(fn)` when given (the account
        runtime uses it to let user actions go first between steps)."""
        run = step or (lambda fn: fn())
        started = time.perf_counter()
        result = SyncResult(self.account.name)
        self._listed = {}  # (only this pass's folder steps take them: _sync_listed)
        try:
            result.refused_actions = run(lambda: self._retrying(self.replay_actions)) or []
            known = run(lambda: self._retrying(lambda: self.sync_folder_list(keep_status=True)))
        except Exception as exc:
            result.failure = classify_imap(exc, host=self.account.incoming.host)
            result.failures.append(Failure(result.failure, self.account.name, "", SYNC))
            result.seconds = time.perf_counter() - started
            return result
        result.failures.extend(self.list_errors)
        names = (
            list(folders)
            if folders is not None
            else [f.name for f in known if f.selectable and not f.local]
        )
        # INBOX first: it is what the user looks at.
        names.sort(key=lambda n: n.upper() != "INBOX")
        newest = self.store.conn.execute("SELECT max(id) FROM messages").fetchone()[0] or 0
        for index, name in enumerate(names):
            try:
                folder_result = run(lambda n=name: self._folder_step(n))
                result.folders.append(folder_result)
                if folder_result.unreadable:
                    result.failures.append(unreadable_failure(self.account.name, folder_result))
            except Exception as exc:
                result.kept += self._stored_since(name, newest)
                error = classify_imap(exc, host=self.account.incoming.host)
                if result.failure is None and error.retry:
                    result.failure = error  # the account is offline: the next pass redoes it
                result.failures.append(Failure(error, self.account.name, name, SYNC))
                if isinstance(exc, TimedOut | TimeoutError) and names[index + 1 :]:
                    # The server does not answer in time: the pass ends here, within the
                    # account's timeout, rather than waiting that long once per folder.
                    result.skipped = names[index + 1 :]
                    break
        self._listed = {}
        if self.account.download_bodies:
            self._index_bodies()
        result.seconds = time.perf_counter() - started
        return result

    def _folder_step(self, name: str) -> FolderResult:
        """_sync_listed(name), tried again after a lost connection (_retrying); its
        `new` counts every message the step stored, once, whichever try stored it: those
        of the tries that failed too (self._stored), unless a later try dropped the
        folder's rows (a rebuild: they were fetched again, and counted by it)."""
        starts: list[int] = []

        def attempt() -> FolderResult:
            starts.append(self._stored)
            return self._sync_listed(name)

        self._reset_at = 0
        folder_result = self._retrying(attempt)
        earlier = starts[-1] - max(starts[0], self._reset_at)
        if earlier > 0:
            folder_result.new += earlier
        return folder_result

    def _stored_since(self, name: str, newest: int) -> int:
        """How many messages of folder `name` this pass stored (rows above `newest`, the
        store's newest row id when it began); 0 when that cannot be read."""
        folder_id = self.store.folder_id(self.account.name, name)
        try:
            row = self.store.conn.execute(
                "SELECT count(*) FROM messages WHERE id > ? AND folder_id = ? AND uid IS NOT NULL",
                (newest, folder_id),
            ).fetchone()
        except Exception:  # (a count for the report only)
            return 0
        return int(row[0]) if folder_id is not None else 0

    def _index_bodies(self) -> None:
        """Index downloaded bodies for search after every folder is synced (the list and
        the bodies are in the store first), within `index_budget` CPU seconds per pass:
        what is left is indexed by the next passes. Never fails the sync."""
        try:
            self.store.index_pending(budget=self.index_budget)
        except Exception as exc:  # the index can be rebuilt; the mail is safe
            log.warning("%s: search index not updated: %r", self.account.name, exc)

    def replay_actions(self) -> list[Failure]:
        """Replay the queued actions on this connection; returns the refusals (typed).
        A lost connection raises (the rest stays queued)."""
        if not self.store.actions(self.account.name):
            return []  # (the replay's module, and json, are not even loaded)
        from tuimail.core.imap.actions import replay

        try:
            return replay(self.store, self.account, self.client, self._caps)
        finally:
            self._selected = None

    def retrying(self, step: Callable[[], object]):
        """Run `step()` (which uses `self.client`); on a lost connection reconnect and run
        it again, a few times. Steps must be idempotent."""
        return self._retrying(step)

    # For the IDLE watcher (tuimail.core.imap.idle), on the folder it has selected:
    def apply_flags(
        self, folder_id: int, server: dict[int, tuple[tuple[str, ...], int | None]]
    ) -> int:
        """Write flag updates the server announced (UID -> (flags, MODSEQ)) for the UIDs
        the store has; reads only those rows. Returns how many changed."""
        return self._store_flags(folder_id, self.store.uid_flags(folder_id, server), server)

    def changes_since(self, folder_id: int, modseq: int) -> tuple[int, int] | None:
        """CONDSTORE/QRESYNC on the selected folder: flags changed since `modseq` (and with
        QRESYNC the UIDs expunged since) applied to the store; (changed, removed). None when
        the server refused CHANGEDSINCE (CONDSTORE is then not used on this connection)."""
        return self._flags_since_or_none(folder_id, modseq)

    def download_bodies(self, folder_id: int) -> None:
        """Bodies of the folder's messages not cached yet (download_bodies = true)."""
        self._download_bodies(folder_id)

    @property
    def capabilities(self) -> set[str]:
        """The server's capabilities (upper case); connects if needed."""
        self.client  # noqa: B018
        return set(self._caps)

    def sync_folder_list(self, *, keep_status: bool = False) -> list[FolderInfo]:
        """Folders from LIST (roles, hierarchy) and LSUB; folders gone on the server go.
        Each LIST line is read on its own: one that cannot be read is reported in
        `self.list_errors` and the others are kept (and then nothing is taken as deleted).
        With LIST-STATUS one LIST gives the subscriptions and each folder's STATUS too,
        kept for the folder steps of the sync() pass under way when `keep_status`."""
        listed, bad, subscribed = self._list_subscribed(keep_status)
        self.list_errors = [
            Failure(
                ProtocolViolation(
                    protocol="imap",
                    server_text=bad_line.line,
                    reason="list-line",
                    data={"problem": bad_line.problem, "size": bad_line.size},
                ),
                self.account.name,
                "",
                LIST,
            )
            for bad_line in bad
        ]
        seen = set()
        for entry in listed:
            name, delim, flags = entry.name, entry.delimiter, entry.flags
            upper = {f.upper() for f in flags}
            selectable = b"\\NOSELECT" not in upper and b"\\NONEXISTENT" not in upper
            self.store.upsert_folder(
                self.account.name,
                name,
                delimiter=delim,
                role=folder_role(flags, name, delim),
                subscribed=name in subscribed or name.upper() == "INBOX",
                selectable=selectable,
                raw_name=entry.malformed,
            )
            seen.add(name)
        # INBOX always exists (RFC 3501): a LIST without it is incomplete, so it is not
        # taken as "every other folder was deleted on the server"; nor is one with a line
        # that could not be read.
        if any(name.upper() == "INBOX" for name in seen) and not bad:
            for folder in self.store.folders(self.account.name, counts=False):
                if not folder.local and folder.name not in seen:
                    self.store.delete_folder(folder.id)
        return self.store.folders(self.account.name, counts=False)

    def _list_subscribed(
        self, keep_status: bool
    ) -> tuple[list[ListEntry], list[UnreadableLine], set[str]]:
        """(entries, unreadable lines, subscribed names): one LIST-STATUS command when the
        server offers it (the statuses kept for the pass under way), else LIST and LSUB.
        A server that refuses the extended LIST gets LIST and LSUB from then on."""
        if self.has("LIST-STATUS") and not self._list_status_refused:
            # Dovecot answers the STATUS of the folder this connection has selected as
            # the connection last saw it (not what others did since): none may be.
            keep_status = keep_status and self._nothing_selected()
            try:
                wanted = self._status_items() if keep_status else []
                listed, bad, statuses = list_with_status(self.client, wanted)
            except ListRefused:
                self._list_status_refused = True
            else:
                self._listed = statuses
                subscribed = {
                    e.name for e in listed if b"\\SUBSCRIBED" in {f.upper() for f in e.flags}
                }
                return listed, bad, subscribed
        listed, bad = self._list("LIST")
        try:
            subscribed = {e.name for e in self._list("LSUB")[0]}
        except ImapError:  # LSUB refused: take every folder as subscribed
            subscribed = {e.name for e in listed}
        return listed, bad, subscribed

    def _nothing_selected(self) -> bool:
        """No folder is selected on the connection: UNSELECT (RFC 3691) is sent if one
        is; False when one stays selected (no UNSELECT: CLOSE would expunge a folder the
        replay of actions selected read-write)."""
        imap = self.client._imap
        if imap.state != "SELECTED":
            return True
        if "UNSELECT" not in self._caps:
            return False
        try:
            typ, _data = imap.unselect()
        except Exception as exc:
            if not keeps_connection(exc):
                raise
            return False
        self._selected = None
        return typ == "OK"

    def _status_items(self) -> list[bytes]:
        # No UNSEEN: Dovecot counts it by scanning the folder (~0.3 s at 100k messages);
        # unread counts come from the store.
        items = [b"MESSAGES", b"UIDNEXT", b"UIDVALIDITY"]
        if self.condstore:
            items.append(b"HIGHESTMODSEQ")
        return items

    def _list(self, command: str) -> tuple[list[ListEntry], list[UnreadableLine]]:
        """LIST or LSUB "" "*", each answer line parsed on its own (names.list_folders)."""
        try:
            return list_folders(self.client, command)
        except ListRefused as exc:
            raise _refused("list-folders", str(exc)) from None

    # -- one folder ----------------------------------------------------------------------

    def _sync_listed(self, name: str) -> FolderResult:
        """sync_folder with the folder's STATUS from the pass's LIST, if one came (taken:
        a retry of the step asks STATUS itself)."""
        return self.sync_folder(name, listed=self._listed.pop(name, None))

    def _status_unchanged(self, folder: FolderInfo, listed: Status | None = None) -> bool:
        """The server's STATUS of `folder` says nothing changed since its last pass.
        `listed`: its STATUS from the pass's LIST, used instead of asking (unless local
        moves wait in it: a user step since the LIST may have changed it)."""
        if folder.uidvalidity is None or folder.uidnext is None:
            return False
        placeholders = len(self.store.placeholders(folder.id))
        if listed is not None and not placeholders:
            status: dict = listed
        elif self._selected == folder.name and not self._nothing_selected():
            return False  # its STATUS would be this connection's old view (Dovecot)
        else:
            try:
                status = folder_status(self.client, folder.name, self._status_items())
            except Exception as exc:
                if not keeps_connection(exc):
                    raise
                return False  # STATUS refused: only a shortcut, the folder is synced in full
        self.store.set_folder_state(folder.id, server_total=status.get(b"MESSAGES"))
        same = (
            status.get(b"UIDVALIDITY") == folder.uidvalidity
            and status.get(b"UIDNEXT") == folder.uidnext
            and status.get(b"MESSAGES") == self.store.count_messages(folder.id) - placeholders
        )
        if not self.condstore:
            return False  # flag changes are invisible to STATUS without CONDSTORE
        return same and status.get(b"HIGHESTMODSEQ") == folder.highestmodseq

    def sync_folder(
        self, name: str, *, changed: bool = False, listed: Status | None = None
    ) -> FolderResult:
        """Bring one folder in step. `changed`: the server already said it changed (an
        IDLE EXISTS/FETCH/EXPUNGE), so no STATUS is asked to find out (Dovecot counts a
        big folder for it: 0.3 s at 100k). `listed`: its STATUS from this pass's LIST
        (LIST-STATUS): no STATUS is asked, and a folder empty on both sides is not even
        opened (_empty_both_sides)."""
        result = FolderResult(name)
        folder_id = self.store.folder_id(self.account.name, name)
        if folder_id is None:
            folder_id = self.store.upsert_folder(self.account.name, name)
        folder = self.store.folder(folder_id, counts=False)
        assert folder is not None
        if not changed and listed is not None and self._empty_both_sides(folder, listed):
            result.skipped = True
            return self._taken(result)
        if not changed and self._status_unchanged(folder, listed):
            result.skipped = True
            return self._taken(result)
        client = self.client
        info = examine(client, name)
        self._selected = name
        exists = int(info[b"EXISTS"])
        uidvalidity = info.get(b"UIDVALIDITY")
        self._folder, self._bad, self._reconnects = (name, uidvalidity), {}, 0
        result.unreadable = self._bad
        uidnext = info.get(b"UIDNEXT")
        highestmodseq = info.get(b"HIGHESTMODSEQ") if self.condstore else None
        if isinstance(highestmodseq, list | tuple):
            highestmodseq = highestmodseq[0]

        if (
            folder.uidvalidity is not None
            and uidvalidity != folder.uidvalidity
            and not self._holds_uids(folder_id)
        ):
            # Nothing stored to check or rebuild (an empty folder of a server that changes
            # UIDVALIDITY at every session): the new value is taken without a word.
            self.store.set_folder_state(folder_id, uidvalidity=uidvalidity, highestmodseq=None)
            folder = self.store.folder(folder_id, counts=False)
        elif folder.uidvalidity is not None and uidvalidity != folder.uidvalidity:
            if name not in self._unverified and self._checked_same(folder_id, name):
                # (mod-sequences of another UIDVALIDITY mean nothing: every flag is read)
                self.store.set_folder_state(folder_id, uidvalidity=uidvalidity, highestmodseq=None)
                result.renumbered = "same-messages"
            else:
                result.known = frozenset(
                    row[0]
                    for row in self.store.conn.execute(
                        "SELECT message_id FROM messages WHERE folder_id = ? "
                        "AND uid IS NOT NULL AND message_id != ''",
                        (folder_id,),
                    )
                )
                self.store.reset_folder(folder_id, uidvalidity)
                self._unverified.discard(name)  # (rebuilt: a later change is checked again)
                self._reset_at = self._stored  # (what earlier tries stored is gone)
                result.rebuilt, result.renumbered = True, "rebuilt"
            log.warning(
                "%s: %s UIDVALIDITY changed: %s", self.account.name, name, result.renumbered
            )
            self._renumbered[name] = (result.renumbered, result.known)  # (a retry says it)
            folder = self.store.folder(folder_id, counts=False)
        elif folder.uidvalidity is None:
            self.store.set_folder_state(folder_id, uidvalidity=uidvalidity)

        # Placeholders from local moves wait for their UID; once no action is queued,
        # whatever is still unclaimed after this pass is stale.
        queued = self.store.actions(self.account.name)
        pending = bool(queued)
        # Messages the user already moved or deleted here, with the server not told yet:
        # still in this folder on the server, but they must not come back into the list.
        leaving = {
            item[1]
            for action in queued
            if action.kind in ("move", "expunge")
            and action.payload.get("folder") == name
            and action.payload.get("uidvalidity") in (None, uidvalidity)  # (else renumbered)
            for item in action.payload.get("items", [])
            if len(item) > 1 and isinstance(item[1], int)
        }

        since = None
        if folder.highestmodseq is not None and self.condstore and not result.renumbered:
            since = self._flags_since_or_none(folder_id, folder.highestmodseq)
        if since is not None:
            result.changed += since[0]
            result.removed += since[1]
        elif exists and self.store.max_uid(folder_id):
            result.changed += self._all_flags(folder_id)

        max_uid = self.store.max_uid(folder_id)
        new_uids: list[int] = []
        if exists and max_uid:
            found = self._uid_search(f"UID {max_uid + 1}:*", exists)
            new_uids = [u for u in found if u > max_uid]
        elif exists and uidnext and not leaving and int(uidnext) - 1 <= exists * 2 + 1000:
            # First sync of a dense folder: fetch UID ranges downwards from UIDNEXT, so
            # the newest page lands before the server has listed 100k UIDs.
            result.new += self._fetch_ranges(folder_id, name, int(uidnext) - 1, exists)
        elif exists:
            new_uids = self._uid_search("ALL", exists)
        result.new += self._fetch_new(folder_id, name, [u for u in new_uids if u not in leaving])

        stored = self.store.count_messages(folder_id) - len(self.store.placeholders(folder_id))
        if stored + len(leaving) + len(self._bad) != exists:
            self.full_scans += 1
            self._reopen()  # (a failed fetch may have cost the connection)
            server_uids = set(self._uid_search("ALL", exists)) if exists else set()
            local_uids = set(self.store.uids(folder_id))
            gone = local_uids - server_uids
            result.removed += self.store.remove_uids(folder_id, gone)
            missing = server_uids - local_uids - leaving
            result.new += self._fetch_rest(folder_id, name, missing)
            result.new += self._unreadable(folder_id, missing - self._bad.keys())

        if not pending:
            stale = [row.id for row in self.store.placeholders(folder_id)]
            if stale and not folder.local:
                self.store.remove_messages(stale)

        if self.account.download_bodies:
            self._reopen()
            self._download_bodies(folder_id, narrow=True)

        if self._folder is not None and self._folder[1] != uidvalidity:
            # taken on a reconnect (_reopen): mod-sequences of the first one mean nothing
            uidvalidity, highestmodseq = self._folder[1], None
        self.store.set_folder_state(
            folder_id,
            uidvalidity=uidvalidity,
            # (none after an unreadable message: the next pass does not skip the folder
            # on an unchanged STATUS, so it asks again: a missing body is not counted)
            uidnext=None if self._bad else uidnext,
            highestmodseq=highestmodseq,
            server_total=exists,
            synced_at=time.time(),
        )
        if self._bad:
            self.unreadable[name] = set(self._bad)
        else:
            self.unreadable.pop(name, None)
        self._folder = None  # (the pass is over: see _in_folder)
        return self._taken(result)

    def _taken(self, result: FolderResult) -> FolderResult:
        """`result` saying the UIDVALIDITY change taken in this pass of its folder (its
        start, a reconnect in the middle, or a try of the pass that failed before this
        one), once: "rebuilt" over "same-messages"."""
        taken = self._renumbered.pop(result.folder, None)
        if taken is not None:
            reason, known = taken
            if reason == "rebuilt":
                result.renumbered, result.rebuilt = reason, True
                result.known = result.known | known
            elif not result.renumbered:
                result.renumbered = reason
        return result

    def _empty_both_sides(self, folder: FolderInfo, listed: Status) -> bool:
        """When the listed STATUS says the folder is empty, the store holds nothing of it
        (no message, no placeholder), no action is queued and its UIDVALIDITY is the
        stored one (or none yet): its state is stored from that STATUS (as an EXAMINE
        would have given it) and True; else False and nothing is written."""
        uidvalidity = listed.get(b"UIDVALIDITY")
        if (
            listed.get(b"MESSAGES") != 0
            or folder.uidvalidity not in (None, uidvalidity)
            or self.store.count_messages(folder.id)
            or self.store.actions(self.account.name)
        ):
            return False
        self.store.set_folder_state(
            folder.id,
            uidvalidity=uidvalidity,
            uidnext=listed.get(b"UIDNEXT"),
            highestmodseq=listed.get(b"HIGHESTMODSEQ") if self.condstore else None,
            server_total=0,
            synced_at=time.time(),
        )
        self.unreadable.pop(folder.name, None)
        return True

    def _same_messages(self, folder_id: int) -> bool:
        """After a UIDVALIDITY change: whether the selected folder still holds every stored
        message at its stored UID (mbsync's recovery check, isync sync.c, made exact).
        Every stored UID is fetched again (VERIFY_ITEMS, VERIFY_BATCH a command), not a
        sample: a renumbering that moved only a few messages left a stored UID naming
        another message, and the user's next delete there would have destroyed it. A
        message is the same when its Message-ID is (without one: its size, arrival date,
        subject and sender); UIDs gone from the server are not counted. Any other message,
        none found, or a refused fetch: renumbered.

        Only the three fields compared are fetched. Their summary is the full header's
        but for odd blocks (lone CR line ends: the quick parse reads the block as one
        line): the messages of a batch that differ are asked for again with the list's
        header, as stored, and compared on that before the folder counts as renumbered
        (the first alone: after a real renumbering it differs there too, and the rest
        is not asked for; then the others together: at most two commands a batch)."""
        rows = {
            uid: rest
            for uid, *rest in self.store.conn.execute(
                "SELECT uid, message_id, size, internaldate, subject, from_addr FROM messages "
                "WHERE folder_id = ? AND uid IS NOT NULL ORDER BY uid",
                (folder_id,),
            )
        }
        if not rows:
            return False
        uids = list(rows)
        found = 0
        for start in range(0, len(uids), VERIFY_BATCH):
            part = uids[start : start + VERIFY_BATCH]
            try:
                messages = fetch_headers(
                    self.client, uid_set(part), False, set(part), items=VERIFY_ITEMS
                )
                differ = [m.uid for m in messages if not _same_row(rows[m.uid], m)]
                if differ and not self._same_listed(differ[:1], rows):
                    return False
                if differ[1:] and not self._same_listed(differ[1:], rows):
                    return False
            except Exception as exc:
                if not keeps_connection(exc):
                    raise
                return False
            found += len(messages)
        return found > 0

    def _holds_uids(self, folder_id: int) -> bool:
        return bool(
            self.store.conn.execute(
                "SELECT 1 FROM messages WHERE folder_id = ? AND uid IS NOT NULL LIMIT 1",
                (folder_id,),
            ).fetchone()
        )

    def _checked_same(self, folder_id: int, name: str) -> bool:
        """_same_messages; when the check itself costs the connection (Dovecot's BYE for
        a message file it cannot read), the folder is remembered as unverified for the
        rest of the engine's life and the failure raised: the retry that follows rebuilds
        it, narrowing around the bad message, instead of checking (and failing) again
        each pass, for ever."""
        try:
            return self._same_messages(folder_id)
        except Exception as exc:
            if not keeps_connection(exc):
                self._unverified.add(name)
            raise

    def _same_listed(self, uids: list[int], rows: dict[int, list]) -> bool:
        """Whether each of `uids` fetched with the list's header items (what its stored
        row was made of) is the same as its row (_same_row); a UID not sent: False."""
        wanted = set(uids)
        again = fetch_headers(self.client, uid_set(uids), False, wanted)
        return {m.uid for m in again} == wanted and all(_same_row(rows[m.uid], m) for m in again)

    def _uid_search(self, criteria: str, exists: int) -> list[int]:
        """UID SEARCH in the selected folder of `exists` messages (ESEARCH when offered)."""
        return uid_search(self.client, criteria, exists=exists, esearch=self.has("ESEARCH"))

    def _flags_since(self, folder_id: int, modseq: int) -> tuple[int, int]:
        """CONDSTORE: flags changed since `modseq`; with QRESYNC also the UIDs expunged
        since then (VANISHED (EARLIER)). Returns (changed, removed)."""
        imap = self.client._imap
        imap.untagged_responses.pop("VANISHED", None)
        modifiers = f"(CHANGEDSINCE {modseq}{' VANISHED' if self.qresync else ''})"
        typ, data = imap.uid("FETCH", "1:*", "(UID FLAGS)", modifiers)
        if typ != "OK":
            raise _refused("flag-changes", _decode(data))
        server: dict[int, tuple[tuple[str, ...], int | None]] = {}
        for entry in data:
            meta = entry[0] if isinstance(entry, tuple) else entry
            if not isinstance(meta, bytes):
                continue
            uid = META["uid"].search(meta)
            flags = META["flags"].search(meta)
            if uid is None or flags is None:
                continue
            mod = META["modseq"].search(meta)
            server[int(uid.group(1))] = (
                tuple(flags.group(1).decode("utf-8", "replace").split()),
                int(mod.group(1)) if mod else None,
            )
        # Only the rows the answer names (new mail: none or one), not the whole folder.
        changed = self._store_flags(folder_id, self.store.uid_flags(folder_id, server), server)
        removed = 0
        vanished = imap.untagged_responses.pop("VANISHED", None) or []
        local = self.store.uids(folder_id) if vanished else []
        for line in vanished:
            text = line.decode("ascii", "replace") if isinstance(line, bytes) else str(line)
            ranges = uid_ranges(text.replace("(EARLIER)", ""))
            removed += self.store.remove_uids(folder_id, known_in_ranges(local, ranges))
        return changed, removed

    def _flags_since_or_none(self, folder_id: int, modseq: int) -> tuple[int, int] | None:
        """_flags_since, or None when the server refuses CHANGEDSINCE although it
        advertised CONDSTORE (a complete NO/BAD): CONDSTORE is then not used on this
        connection and the caller reads every flag instead."""
        try:
            return self._flags_since(folder_id, modseq)
        except Exception as exc:
            if not keeps_connection(exc):
                raise
            log.warning("%s: CHANGEDSINCE refused; flags read in full", self.account.name)
            self._caps -= {"CONDSTORE", "QRESYNC"}
            return None

    def _all_flags(self, folder_id: int) -> int:
        items = ["UID", "FLAGS", "MODSEQ"] if self.condstore else ["UID", "FLAGS"]
        data = self.client.fetch("1:*", items)
        server: dict[int, tuple[tuple[str, ...], int | None]] = {}
        for uid, item in data.items():
            modseq = item.get(b"MODSEQ")
            if isinstance(modseq, list | tuple):
                modseq = modseq[0] if modseq else None
            server[uid] = (_flags(item.get(b"FLAGS", ())), int(modseq) if modseq else None)
        return self._store_flags(folder_id, self.store.uid_flags(folder_id), server)

    def _store_flags(
        self,
        folder_id: int,
        known: dict[int, str],
        server: dict[int, tuple[tuple[str, ...], int | None]],
    ) -> int:
        """Write the server's FLAGS and MODSEQ of the UIDs we know; returns how many
        messages' flags changed. The MODSEQ is written even when the flags did not change
        (another client set and cleared a flag, or our own STORE): a stale one makes the
        next STORE (UNCHANGEDSINCE) be refused."""
        with_modseq = [uid for uid, (_, m) in server.items() if m and uid in known]
        stored = self._stored_modseqs(folder_id, with_modseq)
        writes: dict[int, tuple[str, ...]] = {}
        modseqs: dict[int, int] = {}
        changed = 0
        for uid, (flags, modseq) in server.items():
            if uid not in known:
                continue  # not asked for, or not fetched yet: the new-mail step does it
            if flag_columns(flags)[0] != known[uid]:  # as the store writes them
                writes[uid] = flags
                changed += 1
            elif modseq and stored.get(uid) != modseq:
                writes[uid] = flags
            if modseq:
                modseqs[uid] = modseq
        if writes:
            self.store.set_flags(folder_id, writes, modseqs)
        return changed

    def _stored_modseqs(self, folder_id: int, uids: list[int]) -> dict[int, int | None]:
        out: dict[int, int | None] = {}
        for start in range(0, len(uids), 500):
            chunk = uids[start : start + 500]
            rows = self.store.conn.execute(
                f"SELECT uid, modseq FROM messages WHERE folder_id = ? AND uid IN "
                f"({','.join('?' * len(chunk))})",
                (folder_id, *chunk),
            )
            out.update(rows.fetchall())
        return out

    def _fetch_new(self, folder_id: int, name: str, uids: list[int]) -> int:
        """Fetch headers of `uids`, newest first, in batches (the next one asked for while
        the one before is written: header_batches); each batch is committed."""
        if not uids:
            return 0
        uids = sorted(uids, reverse=True)
        total, done, added = len(uids), 0, 0
        first = self.first_batch
        newest_first = iter(uids)
        chunks = [list(islice(newest_first, n)) for n in _batch_sizes(total, first, self.batch)]
        asked = ((uid_set(chunk), set(chunk)) for chunk in chunks)
        failed: tuple[Exception, set[int]] | None = None
        index = 0
        with (
            _Batches(self.store, folder_id, len(uids), self.worker_from) as batches,
            closing(header_batches(self.client, self.condstore, asked)) as answers,
        ):
            try:
                for chunk, messages in zip(chunks, answers, strict=True):
                    added += self._count(messages)
                    done += len(chunk)
                    batches.add(
                        messages,
                        self._progress_to(name, done, total),
                        first=index == 0 or self.batch == first,
                    )
                    index += 1
            except Exception as exc:
                kept, failed = self._keep(batches, exc, chunks[index])
                added += kept
        if failed is not None:  # (the batches after it: sync_folder's count check)
            added += self._narrow(folder_id, name, *failed)
        return added

    def _count(self, messages: list[NewMessage]) -> int:
        """_distinct(messages), stored by the folder pass under way: added to
        self._stored too (see _folder_step)."""
        stored = _distinct(messages)
        self._stored += stored
        return stored

    def _keep(
        self, batches: _Batches, exc: Exception, asked: Iterable[int]
    ) -> tuple[int, tuple[Exception, set[int]]]:
        """The failure step of a header loop whose answer for `asked` failed with `exc`:
        raised again unless it may be one message's doing (_may_be_one_message); else
        what the answer gave before it failed (_keep_partial) is written, and this returns
        how many messages that was and the failure for _narrow (`exc`, the UIDs asked)."""
        if not _may_be_one_message(exc):
            raise exc
        partial = getattr(exc, "partial", [])
        if partial:
            batches.add(partial, _nothing, first=True)
        return self._count(partial), (exc, set(asked))

    def _fetch_rest(self, folder_id: int, name: str, missing: set[int]) -> int:
        """_fetch_new of `missing` but the messages found unreadable this pass, again
        after a batch failed (its later batches were not asked for) until none fails."""
        added = 0
        todo = missing - self._bad.keys()
        while todo:
            self._fetch_failed = False
            self._reopen()  # (the failure before may have cost the connection)
            added += self._fetch_new(folder_id, name, sorted(todo))
            if not self._fetch_failed:
                break
            left = todo - set(self.store.uids(folder_id)) - self._bad.keys()
            if len(left) >= len(todo):
                break  # (never: each failure stores or reports at least one)
            todo = left
        return added

    def _narrow(self, folder_id: int, name: str, exc: Exception, asked: set[int]) -> int:
        """After the header answer for `asked` failed with `exc` (a NO, or the server
        closed the connection: Dovecot when it cannot read a message file), find the
        message(s) it cannot send and store the others. The UIDs the answer named
        without their data are those (see _keep_partial). Else servers answer in UID
        order: the lowest UID not sent is asked for alone first, then the rest; once such
        a guess proves wrong (it came), the rest is asked for in halves instead, a rest of
        SMALL_REST or fewer one UID at a time. A UID whose fetch alone fails is one. They
        go to self._bad (not stored: the next pass asks again).

        Bounded: at most NARROW_RECONNECTS reconnects and NARROW_FETCHES commands per
        folder pass; what is still unresolved then is reported as unreadable too. A
        server that never sent a message of this folder (it fails every fetch: shutting
        down, refusing) is not a message's problem: `exc` is raised, as before.
        Returns how many messages were stored."""
        self._in_folder(folder_id, name)
        self._fetch_failed = True
        added, progress, fetches, guessing = 0, False, 0, True
        todo: deque[tuple[list[int], bool]] = deque()  # (UIDs, a guess of the lowest)
        suspects: dict[int, MailError] = {}  # each failed alone (unnamed)
        first = exc

        def failed(left: set[int], exc: Exception, alone: bool) -> None:
            nonlocal progress
            error = classify_imap(exc)
            if not keeps_connection(exc):
                self.drop_connection()
            named = getattr(exc, "named", set()) & left
            for uid in named:
                self._bad[uid] = error
            progress = progress or bool(named)
            rest = sorted(left - named)
            if alone and rest:
                suspects.update(dict.fromkeys(rest, error))
            elif named and rest:
                todo.appendleft((rest, False))
            elif guessing and len(rest) > 1:
                todo.extendleft(((rest[1:], False), ([rest[0]], True)))
            elif len(rest) <= SMALL_REST:
                todo.extendleft(([uid], False) for uid in reversed(rest))
            else:
                half = len(rest) // 2
                todo.extendleft(((rest[half:], False), (rest[:half], False)))

        failed(asked - set(self.store.uids(folder_id)), exc, len(asked) == 1)
        # The server did send messages of this folder (before, or in this answer)
        progress = progress or self.store.count_messages(folder_id) > 0
        while todo:
            if fetches >= NARROW_FETCHES or (
                self._client is None and self._reconnects >= NARROW_RECONNECTS
            ):
                suspects.update(dict.fromkeys((u for g, _ in todo for u in g), classify_imap(exc)))
                break
            group, guess = todo.popleft()
            if self._client is None:
                self._reconnects += 1
            self._reopen()
            fetches += 1
            wanted = set(group)
            try:
                messages = fetch_headers(self.client, uid_set(group), self.condstore, wanted)
            except Exception as again:
                if not _may_be_one_message(again):
                    raise
                partial = getattr(again, "partial", [])
                self.store.add_messages(folder_id, partial)
                added += self._count(partial)
                progress = progress or bool(partial)
                failed(wanted - {m.uid for m in partial}, again, len(group) == 1)
                exc = again
                continue
            self.store.add_messages(folder_id, messages)
            added += self._count(messages)
            progress = True
            guessing = guessing and not guess  # a wrong guess: halves from now on
        if suspects and not progress:
            raise first  # no message came at all: the server's failure, not a message's
        self._bad.update(suspects)
        if self._bad:
            log.warning(
                "%s: %d message(s) the server could not send", self.account.name, len(self._bad)
            )
        return added

    def _in_folder(self, folder_id: int, name: str) -> None:
        """Outside sync_folder's pass of `name` (a search fetching what it found): a pass
        state of its own (the folder to open again, no unreadable ones, no reconnects)."""
        if self._folder is None or self._folder[0] != name:
            folder = self.store.folder(folder_id, counts=False)
            self._folder = (name, folder.uidvalidity if folder is not None else None)
            self._bad, self._reconnects = {}, 0

    def _reopen(self) -> None:
        """The folder of the pass under way selected again after a reconnect; a folder
        renumbered meanwhile is redone from the start (_retrying). A new UIDVALIDITY with
        the stored messages at their UIDs (_same_messages: a server that changes it at
        every session) is taken, and the pass goes on."""
        assert self._folder is not None
        name, uidvalidity = self._folder
        if self._selected == name and self._client is not None:
            return
        info = examine(self.client, name)
        self._selected = name
        now = info.get(b"UIDVALIDITY")
        if now != uidvalidity:
            folder_id = self.store.folder_id(self.account.name, name)
            if folder_id is None or not self._checked_same(folder_id, name):
                raise ConnectionLost(protocol="imap", reason="closed")
            self._folder = (name, now)
            self.store.set_folder_state(folder_id, uidvalidity=now, highestmodseq=None)
            self._renumbered.setdefault(name, ("same-messages", frozenset()))
            log.warning("%s: %s UIDVALIDITY changed: same-messages", self.account.name, name)

    def _progress_to(self, name: str, done: int, total: int) -> Callable[[], None]:
        progress = self.progress
        return (lambda: progress(name, done, total)) if progress else _nothing

    def _unreadable(self, folder_id: int, asked: set[int]) -> int:
        """Messages the server has (UID SEARCH) whose header answer could not be read:
        listed with a note rather than missing without a word (their body may still be
        read). Returns how many."""
        stored = set(self.store.uids(folder_id))
        left = sorted(uid for uid in asked - stored if 0 < uid <= MAX_UID)
        if not left:
            return 0
        log.warning(
            "%s: %d message(s) with an unreadable FETCH answer", self.account.name, len(left)
        )
        note = NOTE_UNREADABLE_ANSWER
        self.store.add_messages(folder_id, [NewMessage(uid, (), b"", note=note) for uid in left])
        self._stored += len(left)
        return len(left)

    def _fetch_ranges(self, folder_id: int, name: str, high: int, expected: int) -> int:
        """Headers of UIDs high..1 in descending ranges (first sync); returns how many.
        A range of which no message came means the folder is not dense after all (or its
        EXISTS/UIDNEXT were not true): the UIDs left are listed with one UID SEARCH.

        A range's messages may come in the answer before its own (header_batches: Dovecot
        runs two FETCHes at once and interleaves their answers), never after it: by the
        end of its own answer every message of the range has come."""
        added = 0
        below = high  # the highest UID not asked for yet
        dense = True
        lows: list[int] = []  # each range's lowest UID, in the order asked
        asked: list[range] = []  # each range, in the order asked
        failed: tuple[Exception, set[int]] | None = None
        carried = False  # the answer before brought messages of the range now read

        def ranges() -> Iterator[tuple[str, range]]:
            nonlocal below
            for size in _batch_sizes(high, self.first_batch, self.batch):
                if not dense:  # read when the answer before was handled
                    return
                low = below - size + 1
                lows.append(low)
                asked.append(range(low, below + 1))
                yield f"{low}:{below}", asked[-1]
                below = low - 1

        with (
            self.store.bulk_first_fill(expected),
            _Batches(self.store, folder_id, expected, self.worker_from) as batches,
        ):
            index = 0
            with closing(header_batches(self.client, self.condstore, ranges())) as answers:
                try:
                    for messages in answers:
                        added += self._count(messages)
                        batches.add(
                            messages,
                            self._progress_to(name, min(added, expected), expected),
                            first=index == 0 or self.batch == self.first_batch,
                        )
                        # (All of them are in this range or the next one: `wanted`.)
                        uids = list(map(_UID, messages))
                        here = carried or (bool(uids) and max(uids) >= lows[index])
                        carried = bool(uids) and min(uids) < lows[index]
                        if not here:
                            dense = False  # the range asked for already is still read
                        index += 1
                except Exception as exc:
                    kept, failed = self._keep(batches, exc, asked[index])
                    added += kept
            if failed is not None:  # (the ranges below it: sync_folder's count check)
                batches.flush()
                return added + self._narrow(folder_id, name, *failed)
            if not dense and below >= 1:
                batches.flush()
                found = self._uid_search(f"UID 1:{below}", expected)
                rest = [u for u in found if u <= below]
                return added + self._fetch_new(folder_id, name, rest)
        return added

    def _download_bodies(self, folder_id: int, *, narrow: bool = False) -> None:
        """Bodies not cached yet, 200 a command. `narrow` (the folder pass under way,
        sync_folder): a chunk the server fails (_may_be_one_message) is asked for one
        message at a time (_bodies_one_by_one), and each chunk starts on the pass's folder
        opened again if that cost the connection (a reconnect counted as the narrowing's:
        past NARROW_RECONNECTS the rest waits for the next pass)."""
        rows = self.store.conn.execute(
            "SELECT id, uid, size FROM messages m WHERE folder_id = ? AND uid IS NOT NULL AND "
            "NOT EXISTS (SELECT 1 FROM bodies b WHERE b.message_id = m.id) ORDER BY uid DESC",
            (folder_id,),
        ).fetchall()
        for start in range(0, len(rows), 200):
            if narrow:
                if self._client is None:
                    if self._reconnects >= NARROW_RECONNECTS:
                        break
                    self._reconnects += 1
                self._reopen()
            chunk = dict((uid, mid) for mid, uid, _size in rows[start : start + 200])
            sizes = {uid: size for _mid, uid, size in rows[start : start + 200]}
            expected = sum(size for _mid, _uid, size in rows[start : start + 200])
            try:
                with bulk(self.client, expected):  # the sizes we stored, not the answer's
                    data = self.client.fetch(uid_set(chunk), [b"UID", b"BODY.PEEK[]"])
            except Exception as exc:
                if not narrow or not _may_be_one_message(exc):
                    raise
                data = self._bodies_one_by_one(exc, sizes)
            # One transaction per fetched chunk; indexing for search comes after the pass.
            self.store.save_bodies(
                (chunk[uid], raw)
                for uid, item in data.items()
                if uid in chunk
                and (raw := item.get(b"BODY[]")) is not None
                and not _sent_empty(raw, sizes[uid])
            )

    def _bodies_one_by_one(self, exc: Exception, sizes: dict[int, int]) -> dict:
        """The bodies of `sizes` (UID -> stored size) asked for one at a time after the
        answer for all of them failed with `exc`: a message the server cannot send goes
        to self._bad (its body is asked for again next pass); at most NARROW_RECONNECTS
        reconnects per folder pass, then the rest waits for the next pass. When no body
        came at all, `exc` is raised (the server's failure, not a message's)."""
        if not keeps_connection(exc):
            self.drop_connection()
        data: dict = {}
        failed: dict[int, MailError] = {}
        for uid in sorted(sizes, reverse=True):
            if self._client is None:
                if self._reconnects >= NARROW_RECONNECTS:
                    break
                self._reconnects += 1
            self._reopen()
            try:
                with bulk(self.client, sizes[uid]):
                    data.update(self.client.fetch([uid], [b"UID", b"BODY.PEEK[]"]))
            except Exception as again:
                if not _may_be_one_message(again):
                    raise
                failed[uid] = classify_imap(again)
                if not keeps_connection(again):
                    self.drop_connection()
        if failed and not data:
            raise exc  # no body came at all: the server's failure, not a message's
        self._bad.update(failed)
        return data

    # -- bodies ----------------------------------------------------------------------------

    def fetch_body(self, message_id: int) -> bytes:
        """The raw message: from the cache, else fetched (BODY.PEEK[]) and cached."""
        cached = self.store.body(message_id)
        if cached is not None:
            return cached
        row = self.store.message(message_id)
        if row is None:
            raise ImapError(reason="message-missing")
        if row.uid is None:
            raise ImapError(reason="message-moving")
        folder = self.store.folder(row.folder_id)
        assert folder is not None

        tries = []

        def step() -> bytes:
            tries.append(1)
            try:
                info = examine(self.client, row.folder)
            except Exception as exc:
                # Refused: a folder another program deleted or renamed says so (by LIST,
                # not by the server's words), not "the mail server refused: ...".
                if isinstance(classify_imap(exc), Refused) and _not_listed(self.client, row.folder):
                    raise ImapError(reason="folder-gone", data={"folder": row.folder}) from exc
                raise
            self._selected = row.folder
            if folder.uidvalidity is not None and info.get(b"UIDVALIDITY") != folder.uidvalidity:
                raise ImapError(reason="folder-changed", data={"folder": row.folder})
            try:
                with bulk(self.client, row.size):  # time for the size we stored
                    data = self.client.fetch([row.uid], [b"BODY.PEEK[]"])
            except Exception as exc:
                # Lost again on a fresh connection: this message, not the connection
                # (Dovecot: BYE for a message file it cannot read); said so, not retried.
                if len(tries) > 1 and not keeps_connection(exc) and _may_be_one_message(exc):
                    self.drop_connection()
                    raise _unreadable_error({row.uid: classify_imap(exc)}) from exc
                raise
            # Only the UID asked for: a server may add FETCH data for other messages.
            raw = data.get(row.uid, {}).get(b"BODY[]")
            if raw is None:
                raise ImapError(reason="message-gone")
            if _sent_empty(raw, row.size):  # never cached: it would stand for the message
                raise ImapError(reason="empty-message")
            return raw

        raw = self._retrying(step)
        self.store.save_body(message_id, raw)
        return raw


def _not_listed(client: IMAPClient, folder: str) -> bool:
    """Whether the server's LIST says `folder` is not there (False when it says nothing)."""
    from tuimail.core.imap.idle_folder import still_listed

    try:
        return still_listed(client, folder) is False
    except Exception:  # the LIST itself failed: nothing concluded
        return False


def _sent_empty(raw: bytes, size: int | None) -> bool:
    """Whether a BODY[] answer is empty (not one non-blank byte) for a message the server
    said has some (RFC822.SIZE): a server's failure to send it, not the message."""
    return bool(size) and (not raw or raw.isspace())  # not raw.strip(): a copy of it all


def examine(client: IMAPClient, name: str) -> dict:
    """EXAMINE `name`; its answer must say how many messages there are (RFC 3501 6.3.1).
    An answer without a readable EXISTS, or with a number that is not one, is a protocol
    violation: never taken for an empty folder, which would remove every stored message."""
    try:
        info = client.select_folder(name, readonly=True)
    except UnicodeError:
        raise  # the name could not be sent (classified as such), not the answer's numbers
    except (ValueError, IndexError, TypeError) as exc:  # imapclient's int() of its numbers
        raise ProtocolViolation(protocol="imap", reason="bad-numbers") from exc
    if not isinstance(info.get(b"EXISTS"), int) or info[b"EXISTS"] < 0:
        raise ProtocolViolation(protocol="imap", reason="no-exists")
    return info


_START = re.compile(rb"^\d+ \(")
_MONTHS = {m: i for i, m in enumerate(
    (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"), 1
)}  # fmt: skip


_PLAIN_DATE = re.compile(rb"[ \d]\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}")
# The parts of the usual shape met before, each taken from a value of that whole shape:
# the start of a day (value[:11]; None for a day that is not one), the seconds of an hour
# and minute (value[12:17], at most 10,000) and the offset of a zone (value[20:26], with
# its space).
_DAY_START: dict[bytes, int | None] = {}
_MINUTE: dict[bytes, int] = {}
_ZONE: dict[bytes, int] = {}


def _internaldate(value: bytes) -> float | None:
    """' 1-Jan-2024 10:00:00 +0000' -> epoch seconds. The usual shape is taken apart by
    position and its parts remembered (a folder's mail came on far fewer days, times of
    day and zones than it has messages): a value whose three parts were all met before,
    in values of that shape (and whose seconds are two digits after a colon), has that
    shape too and costs three lookups. The same sum as _internaldate_parsed (timegm is
    linear in the time of day)."""
    if len(value) == 26 and value[11] == 32 and value[17] == 58:  # " " and ":"
        start = _DAY_START.get(value[:11])
        minute, zone = _MINUTE.get(value[12:17]), _ZONE.get(value[20:26])
        tens, ones = value[18] - 48, value[19] - 48  # the seconds' digits
        if (
            start is not None
            and minute is not None
            and zone is not None
            and 0 <= tens <= 9
            and 0 <= ones <= 9
        ):
            return float(start + minute + tens * 10 + ones - zone)
    if len(value) != 26 or _PLAIN_DATE.fullmatch(value) is None:
        return _internaldate_parsed(value)
    day = value[:11]
    start = _DAY_START.get(day, -1)
    if start == -1:
        midnight = _internaldate_parsed(day + b" 00:00:00 +0000")
        start = None if midnight is None else int(midnight)
        if len(_DAY_START) < 100_000:
            _DAY_START[day] = start
    if start is None:
        return None
    minute = int(value[12:14]) * 3600 + int(value[15:17]) * 60
    offset = (int(value[22:24]) * 60 + int(value[24:26])) * 60
    zone = offset if value[21:22] == b"+" else -offset
    _MINUTE[value[12:17]] = minute  # "\d\d:\d\d": at most 10,000
    if len(_ZONE) < 10_000:
        _ZONE[value[20:26]] = zone
    return float(start + minute + int(value[18:20]) - zone)


def _internaldate_parsed(value: bytes) -> float | None:
    """' 1-Jan-2024 10:00:00 +0000' -> epoch seconds."""
    try:
        day, mon, rest = value.strip().split(b"-", 2)
        year, clock, zone = rest.split(b" ")
        hh, mm, ss = clock.split(b":")
        stamp = calendar.timegm((int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss)))
        offset = (int(zone[1:3]) * 60 + int(zone[3:5])) * 60
        return float(stamp - offset if zone[:1] == b"+" else stamp + offset)
    except (ValueError, KeyError, IndexError):
        return None


def _may_be_one_message(exc: BaseException) -> bool:
    """Whether a failed header or body answer may be one message's doing: a NO (not
    one about the server as a whole: [UNAVAILABLE], [INUSE], [LIMIT]), or the server
    closing the connection (a BYE, the end of the stream) as Dovecot does when it cannot
    read a message file. Not a timeout, a broken protocol or a busy server."""
    error = classify_imap(exc)
    if type(error) is ConnectionLost:
        return True
    return isinstance(error, Refused) and error.code not in _SERVER_WIDE


def _same_row(row: list, message: NewMessage) -> bool:
    """Whether the fetched `message` is the stored one (row: message_id, size,
    internaldate, subject, from_addr): the same size and arrival date, and the same
    Message-ID (without one: the same subject and sender). A Message-ID alone is not
    enough: a message and its list copy share one, and a renumbering that swapped their
    UIDs passed for the same messages (the user's next delete hit the other copy)."""
    message_id, size, internaldate, subject, sender = row
    if (message.size, message.internaldate) != (size, internaldate):
        return False
    summary = summarize_header(message.header)
    if message_id:
        return summary.message_id == message_id
    return (summary.subject, summary.from_addr) == (subject, sender)


def unreadable_failure(account: str, folder: FolderResult) -> Failure:
    """One folder's messages the server could not send, as one failure (_unreadable_error);
    Failure.item the UIDs as text."""
    error = _unreadable_error(folder.unreadable)
    return Failure(error, account, folder.folder, SYNC, item=uid_set(folder.unreadable))


def _unreadable_error(unreadable: dict[int, MailError]) -> Refused:
    """Messages the server could not send (UID -> its failure) as one error (the first
    one's code and words): reason "unreadable-messages", data uids (at most 50, in
    order) and count."""
    uids = sorted(unreadable)
    first = unreadable[uids[0]]
    return Refused(
        protocol="imap",
        code=first.code,
        server_text=first.server_text,
        host=first.host,
        reason="unreadable-messages",
        data={"uids": uids[:50], "count": len(uids)},
    )


def _distinct(messages: list[NewMessage]) -> int:
    """How many messages a header fetch gave: a UID the server repeated in its answer
    is stored once, so it counts once ("new" is what was stored)."""
    return len({m.uid for m in messages})


def fetch_headers(
    client: IMAPClient,
    uids: str,
    modseq: bool,
    wanted: Container[int] | None = None,
    *,
    items: str | None = None,
) -> list[NewMessage]:
    """UID FETCH of the list columns. The answer is read in bulk and scanned here
    (tuimail.core.imap.fetchscan) rather than line by line by imaplib and then by
    imapclient's general parser. Responses without a header (unsolicited flag updates)
    are skipped, and so are UIDs not in `wanted` (a server may send data nobody asked
    for); the count check in sync_folder catches anything missed. A connection that is
    not tuimail's own, or one logging the conversation (--debug), takes imaplib's way
    (fetch_headers_imaplib); both give the same messages. `items`: other FETCH items
    than the list's (one BODY.PEEK[HEADER...] among them: VERIFY_ITEMS), read the same
    way, with the same bounds; what is not asked for is left empty (no flags)."""
    imap = client._imap
    if not isinstance(imap, _IMAP4) or imap.debug >= 4:
        return fetch_headers_imaplib(client, uids, modseq, wanted, items=items)
    tag = imap._command("UID", "FETCH", uids, f"({items or _header_items(modseq)})")
    return _read_headers(imap, tag, modseq, wanted)


def _read_headers(
    imap: _IMAP4,
    tag: bytes,
    modseq: bool,
    wanted: Container[int] | None,
    ahead: Container[bytes] = (),
) -> list[NewMessage]:
    """The messages of the answer to the header UID FETCH `tag` (fetch_headers); a NO
    or BAD raises. `ahead`: the tags of commands sent after it and not answered yet
    (read_answer). A failure (NO, BYE, a dropped connection) carries what the answer
    gave before it (_keep_partial)."""
    try:
        typ, text, fetches = read_answer(imap, tag, "UID", plain_messages(modseq, wanted), ahead)
    except imaplib.IMAP4.abort as exc:
        _keep_partial(exc, getattr(exc, "fetched", []), modseq, wanted)
        raise
    if typ != "OK":
        said = _decode([text])
        error = ImapError(
            reason="refused-to",
            data={"what": "headers"},
            code=response_code(said),
            server_text=said or None,
        )
        raise _keep_partial(error, fetches, modseq, wanted)
    return messages_from_fetches(fetches, modseq, wanted)


def _keep_partial(
    exc: BaseException, fetches: list, modseq: bool, wanted: Container[int] | None
) -> BaseException:
    """`exc` carrying what a failed header answer gave before it failed: `partial`, the
    complete messages, and `named`, the UIDs it named without their header (Dovecot
    sends `* 3 FETCH (UID 3 FLAGS (..) INTERNALDATE ".." RFC822.SIZE 160)` and then
    `* BYE FETCH failed: Internal error occurred...` for a message file it cannot read:
    that UID is the one it could not read)."""
    exc.partial = messages_from_fetches(fetches, modseq, wanted)  # type: ignore[attr-defined]
    exc.named = {  # type: ignore[attr-defined]
        f.uid
        for f in fetches
        if type(f) is not NewMessage and f.uid is not None and f.header is None
    }
    return exc


Asked = tuple[str, Container[int]]  # a UID set to ask for, and the UIDs wanted of it


def header_batches(
    client: IMAPClient, modseq: bool, batches: Iterable[Asked]
) -> Iterator[list[NewMessage]]:
    """fetch_headers of each (UID set, wanted UIDs) of `batches`, in order, each batch's
    UID FETCH sent before the answer to the one before it is handed out (tuimail.core.
    imap.ahead): the server prepares a batch while tuimail writes the one before.
    `batches` is read lazily (one ahead of the answers handed out). A UID wanted by a
    later batch that comes in an earlier answer (a server may interleave its answers) is
    kept with that answer. A connection fetch_headers would read through imaplib is
    asked one batch at a time."""
    imap = client._imap
    if not isinstance(imap, _IMAP4) or imap.debug >= 4:
        for uids, wanted in batches:
            yield fetch_headers(client, uids, modseq, wanted)
        return
    items = f"({_header_items(modseq)})"

    def read(
        tag: bytes, wanted: Container[int], later: list[tuple[bytes, Container[int]]]
    ) -> list[NewMessage]:
        if later:  # their messages may come in this answer: kept with it
            wanted = _union(wanted, [w for _tag, w in later])
        return _read_headers(imap, tag, modseq, wanted, [t for t, _w in later])

    commands = ((("UID", "FETCH", uids, items), wanted) for uids, wanted in batches)
    yield from answers_ahead(imap, commands, read)


def _union(first: Container[int], others: list[Container[int]]) -> Container[int]:
    """The UIDs in any of `first` and `others` (ranges that touch stay one range)."""
    every = [first, *others]
    if all(type(w) is range and w.step == 1 for w in every):
        spans = sorted(every, key=lambda r: r.start)  # type: ignore[attr-defined]
        if all(a.stop >= b.start for a, b in zip(spans, spans[1:], strict=False)):
            return range(spans[0].start, max(r.stop for r in spans))  # type: ignore[attr-defined]
    return set().union(*every)  # type: ignore[arg-type]


def plain_messages(modseq: bool, wanted: Container[int] | None = None) -> Plain:
    """For read_answer: the NewMessage of a plain response, as messages_from_fetches
    makes it of that response's Fetch (None where it leaves the response out); made at
    once, without the Fetch (a test compares both ways)."""
    message, words = _new_message, _FLAG_WORDS.get

    def make(
        uid: int, flags: bytes, date: bytes, size: int, mod: int | None, header: bytes
    ) -> NewMessage | None:
        if (wanted is not None and uid not in wanted) or not 0 < uid <= MAX_UID:
            return None
        return message((  # uid, flags, header, size, internaldate, modseq, note
            uid,
            (words(flags) or _flag_words(flags)) if flags else (),
            header,
            size,
            _internaldate(date) if date else None,
            mod if modseq else None,
            "",
        ))  # fmt: skip

    return make


def messages_from_fetches(
    fetches: Iterable[Fetch | NewMessage], modseq: bool, wanted: Container[int] | None = None
) -> list[NewMessage]:
    """The new messages of a header fetch's answer (see fetch_headers); a NewMessage in
    it (made by plain_messages) is kept as it is."""
    out: list[NewMessage] = []
    append, message, words = out.append, _new_message, _FLAG_WORDS.get
    for fetch in fetches:
        if type(fetch) is NewMessage:
            append(fetch)
            continue
        uid, header = fetch.uid, fetch.header
        if uid is None or header is None:
            continue
        if wanted is not None and uid not in wanted:
            continue
        if not 0 < uid <= MAX_UID:
            continue  # not a UID (RFC 3501: 32-bit, non-zero); the count check reports it
        flags = fetch.flags
        date = fetch.internaldate
        append(
            message((  # uid, flags, header, size, internaldate, modseq, note
                uid,
                (words(flags) or _flag_words(flags)) if flags else (),
                header,
                fetch.size or 0,
                _internaldate(date) if date else None,
                fetch.modseq if modseq else None,
                "",
            ))
        )  # fmt: skip
    return out


# NewMessage(*fields) without the Python-level __new__ a NamedTuple call goes through
# (the same tuple: a test compares them); made once per message of a first sync.
_new_message = partial(tuple.__new__, NewMessage)
_FLAG_WORDS: dict[bytes, tuple[str, ...]] = {}


def _flag_words(flags: bytes) -> tuple[str, ...]:
    """b"\\Seen $X" -> ("\\Seen", "$X"); the few distinct flag lists of a folder are
    decoded once."""
    words = _FLAG_WORDS.get(flags)
    if words is None:
        words = tuple(flags.decode("utf-8", "replace").split())
        if len(_FLAG_WORDS) < 4096 and len(flags) < 1024:
            _FLAG_WORDS[flags] = words
    return words


def _header_items(modseq: bool) -> str:
    items = "UID FLAGS INTERNALDATE RFC822.SIZE " + HEADER_ITEM.decode()
    return items + " MODSEQ" if modseq else items


def fetch_headers_imaplib(
    client: IMAPClient,
    uids: str,
    modseq: bool,
    wanted: Container[int] | None = None,
    *,
    items: str | None = None,
) -> list[NewMessage]:
    """fetch_headers read by imaplib, parsed with regular expressions (the way before
    the bulk reader; kept for other connections and as the reference in tests). Of each
    header only its first MAX_KEPT_LITERAL bytes are kept, as the bulk reader keeps. A
    BYE or a dropped connection carries what came before it, as fetch_headers' does
    (_keep_partial)."""
    imap = client._imap
    imap.untagged_responses.pop("FETCH", None)
    try:
        with kept_literals(client, MAX_KEPT_LITERAL):
            typ, data = imap.uid("FETCH", uids, f"({items or _header_items(modseq)})")
    except imaplib.IMAP4.abort as exc:
        data = imap.untagged_responses.pop("FETCH", None) or []
        records = _imaplib_records(data)
        if data and isinstance(data[-1], tuple):
            records = records[:-1]  # its literal came, not the rest of the response
        exc.partial = _records_messages(records, modseq, wanted)  # type: ignore[attr-defined]
        exc.named = {  # type: ignore[attr-defined]
            int(uid.group(1))
            for meta, header in records
            if header is None
            and b"BODY[HEADER" not in meta
            and (uid := META["uid"].search(meta)) is not None
        }
        raise
    if typ != "OK":
        raise _refused("headers", _decode(data))
    return messages_from_imaplib(data, modseq, wanted)


def messages_from_imaplib(
    data: list, modseq: bool, wanted: Container[int] | None = None
) -> list[NewMessage]:
    """The new messages in imaplib's FETCH data (see fetch_headers_imaplib)."""
    return _records_messages(_imaplib_records(data), modseq, wanted)


def _imaplib_records(data: list) -> list[list]:
    """imaplib's FETCH data as one [meta bytes, header bytes | None] a response."""
    records: list[list] = []
    for entry in data:
        if isinstance(entry, tuple):
            prefix, literal = entry[0], entry[1]
            if _START.match(prefix) or not records:
                records.append([prefix, literal])
            else:
                records[-1][0] += prefix
                records[-1][1] = records[-1][1] or literal
        elif isinstance(entry, bytes):
            if _START.match(entry):
                records.append([entry, None])
            elif records:
                records[-1][0] += entry
    return records


def _records_messages(
    records: list[list], modseq: bool, wanted: Container[int] | None
) -> list[NewMessage]:
    """The new messages of _imaplib_records (see messages_from_imaplib)."""
    out = []
    for meta, header in records:
        uid = META["uid"].search(meta)
        if header is None and b"BODY[HEADER" in meta:
            header = b""  # sent as an empty quoted string
        if uid is None or header is None:
            continue
        if wanted is not None and int(uid.group(1)) not in wanted:
            continue
        if not 0 < int(uid.group(1)) <= MAX_UID:
            continue  # not a UID (RFC 3501: 32-bit, non-zero); the count check reports it
        flags = META["flags"].search(meta)
        date = META["date"].search(meta)
        size = META["size"].search(meta)
        mod = META["modseq"].search(meta) if modseq else None
        out.append(
            NewMessage(
                uid=int(uid.group(1)),
                flags=tuple(flags.group(1).decode("utf-8", "replace").split()) if flags else (),
                header=header,
                size=int(size.group(1)) if size else 0,
                internaldate=_internaldate(date.group(1)) if date else None,
                modseq=int(mod.group(1)) if mod else None,
            )
        )
    return out


# The last batch of a big pass is written with nothing left for the server to prepare
# meanwhile: rather than up to BATCH messages, it holds TAIL (the rest before it).
TAIL = 500


def _batch_sizes(total: int, first: int, batch: int) -> Iterator[int]:
    """The sizes of the batches a first fetch of `total` messages asks for, in order:
    `first` (the newest page), then _next_size of what is left; they add up to `total`."""
    size, left = first, total
    while left > 0:
        size = min(size, left)
        yield size
        left -= size
        size = _next_size(left, batch)


def _next_size(left: int, batch: int) -> int:
    """How many of the `left` messages still to fetch the next batch asks for: `batch`,
    except that a rest of up to `batch` and over 2 * TAIL ends with a batch of TAIL (the
    header index of a batch under header_index.DEFER_FROM is built at once: TAIL is not
    below it)."""
    if 2 * TAIL < left <= batch:
        return left - TAIL
    return batch


_UID = itemgetter(0)  # a NewMessage's UID


def _nothing() -> None:
    pass


class _Batches:
    """Fetched header batches written to the store in order. In a big pass (worker_from
    messages or more) each batch after the first is summarised by a worker process while
    the next one is fetched (tuimail.core.store.worker), and written when the next one has
    come; otherwise each is summarised and written at once. The first batch (the newest
    page) is always written at once. What was fetched is written even when a later fetch
    fails (each write is idempotent)."""

    def __init__(
        self, store: Store, folder_id: int, expected: int, worker_from: int | None
    ) -> None:
        self.store = store
        self.folder_id = folder_id
        self.summaries = Summaries(expected, worker_from=worker_from)
        self.pending: tuple[list[NewMessage], object, Callable[[], None]] | None = None

    def add(
        self, messages: list[NewMessage], progress: Callable[[], None], *, first: bool = False
    ) -> None:
        # The previous batch's summaries are taken from the worker before this batch is
        # sent to it (never both sending at once: a pipe each way would fill), and written
        # while the worker summarises this one.
        ready = self._collect()
        handle = None if first else self.summaries.submit([m.header for m in messages])
        self._write(ready)
        self.pending = (messages, handle, progress)
        if handle is None or not self.summaries.in_worker:
            self.flush()

    def flush(self) -> None:
        self._write(self._collect())

    def _collect(self) -> tuple | None:
        if self.pending is None:
            return None
        messages, handle, progress = self.pending
        self.pending = None
        summaries = handle.result() if handle is not None else None  # type: ignore[attr-defined]
        return messages, summaries, progress

    def _write(self, ready: tuple | None) -> None:
        if ready is not None:
            messages, summaries, progress = ready
            self.store.add_messages(self.folder_id, messages, summaries=summaries)
            progress()

    def __enter__(self) -> _Batches:
        self._quiet = fewer_collections()  # a container or so per message and field
        self._quiet.__enter__()
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        try:
            if exc is None:
                self.flush()
            else:
                try:
                    self.flush()  # what was fetched before the failure is kept
                except Exception:
                    pass
        finally:
            try:
                self.summaries.close()
            finally:
                self._quiet.__exit__(None, None, None)


def _refused(what: str, said: str) -> ImapError:
    """The server refused a step (`what`, errors.REFUSED_STEPS), with its own words."""
    return ImapError(reason="refused-to", data={"what": what}, server_text=said or None)


def _safe(text: str) -> str:
    from tuimail.core.sanitize import sanitize

    return sanitize(text)


def _decode(data) -> str:
    from tuimail.core.sanitize import sanitize

    text = b" ".join(d for d in data if isinstance(d, bytes)) if data else b""
    return sanitize(text.decode("utf-8", "replace"))
