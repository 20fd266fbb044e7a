"""The outbox: every message is on disk before the first attempt, and never lost.

Layout under ``platformdirs.user_data_dir("tuimail")``::

    outbox/<account>/<id>.eml    the message exactly as it will be sent (CRLF)
    outbox/<account>/<id>.json   its state (written atomically)
    sent/<account>/<id>.eml/json messages the server accepted (the local copy)

States: queued -> sending -> sent | partial | retrying | failed | maybe_sent.

- retrying: a 4xx reply or a network failure; tried again after `next_attempt`.
- failed: a 5xx reply (535 included) or a connection that could not be secured; only
  the user sends it again.
- Why an attempt failed is kept as data (`failure`: the SubmitError's reason, SMTP stage
  and typed error with the reply code, enhanced code and the server's words), never as a
  sentence; tuimail.words makes the sentence. Entries written before that keep their
  `last_error` text, shown as written.
- maybe_sent: the connection was lost after the data went out and before the reply.
  It may have been delivered, so it is never resent automatically (RFC 1047).
- partial: some recipients refused permanently; the others got it (named in `refused`).
  Recipients refused with a 4xx stay in the outbox (retrying) for another attempt.
- sent/partial entries move to ``sent/``; the copy to the IMAP Sent folder is tried
  once, and its failure is recorded, never a reason to send again.
- ``sent/`` does not grow for ever: entries delivered more than the account's
  ``sent_retention_days`` ago (default 30; 0 keeps them) are deleted at each outbox pass
  and after each send. Nothing under ``outbox/`` (not yet delivered) is ever pruned.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from tuimail.core.account import Account
from tuimail.core.errors import error_record
from tuimail.core.mime.header_block import header_block
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import Secret

if TYPE_CHECKING:
    from tuimail.core.smtp import SubmitError

PENDING = ("queued", "sending", "retrying", "failed", "maybe_sent")
# Never sent by themselves: refused for good, or "may have been sent". They wait for the user.
HELD = ("failed", "maybe_sent")
BACKOFF = (60, 120, 300, 600, 1800, 3600)  # seconds after attempt 1, 2, 3, ...

# An entry's states (worded at the edge: tuimail.words.outbox.state_label).
STATES = ("queued", "sending", "retrying", "failed", "maybe_sent", "sent", "partial")


@dataclass
class OutboxEntry:
    id: str
    account: str
    sender: str
    recipients: list[str]  # still to deliver
    state: str = "queued"
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    attempts: int = 0
    next_attempt: float | None = None
    last_error: str | None = None  # only in entries written before `failure` existed
    # while sending: "connecting" | "data" | "accepted" (a transaction's data was taken)
    stage: str | None = None
    delivered: list[str] = field(default_factory=list)
    # permanently refused: address -> the server's reply ("550 5.1.1 ..."), or, refused
    # here before sending, {"problem", "detail"} (smtp_address); words: tuimail.words.outbox.refusal
    refused: dict[str, str | dict] = field(default_factory=dict)
    subject: str = ""
    message_id: str = ""
    sent_copy: str | None = None  # only in entries written before `copy` existed: its text
    # The copy to the server's Sent folder, as data: None (not tried yet) or
    # {"outcome": "saved", "folder"} | {"outcome": "off"} (save_sent_copy is off) |
    # {"outcome": "local-only"} (no IMAP server to copy to) | {"outcome": "interrupted"}
    # (tuimail stopped while copying) | {"outcome": "not-tried"} (stopped before it) |
    # {"outcome": "failed", "step": "login" | "store" | "unexpected", "error": error_record or None, "detail"}.
    # Words for people: tuimail.words.sent.sent_copy.
    copy: dict | None = None
    # Why the last attempt failed, as data (SubmitError.record(), or one of the outbox's
    # own reasons below): {"reason", "stage", "data", "refused", "error": {kind, protocol,
    # code, enhanced, server_text, ...}}. Words for people: tuimail.words.outbox.outbox_reason.
    failure: dict | None = None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> OutboxEntry:
        """An entry from its state file's JSON; TypeError when that is not an entry's
        (the outbox then lists it as unreadable)."""
        if not isinstance(data, dict):
            raise TypeError(f"an outbox state is a JSON object, not {type(data).__name__}")
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if not isinstance(known.get("failure"), dict):
            known.pop("failure", None)  # absent in old entries: their last_error stays
        if not isinstance(known.get("copy"), dict):
            known.pop("copy", None)  # absent in old entries: their sent_copy text stays
        return cls(**known)

    def failed_because(self, reason: str, **data: object) -> None:
        """Record one of the outbox's own reasons (no server spoke)."""
        self.last_error = None
        self.failure = {"reason": reason, "stage": None, "data": data, "error": None}


# The outbox's own reasons (entry.failure["reason"]), besides SubmitError.REASONS:
INTERRUPTED = "interrupted"  # tuimail stopped during DATA: may have been delivered
UNREADABLE = "state-unreadable"  # the state file cannot be read (data: detail)
ORPHAN = "orphan"  # queuing stopped before the recipients were recorded
DEFERRED = "recipients-deferred"  # some recipients refused for now (4xx): retried
PARTLY_REFUSED = "partly-refused"  # sent; some recipients refused for good


def _deferred(refusal: str | dict) -> bool:
    """A recipient refused for now (a 4xx reply code, smtp.recipient_refusal), to be
    tried again; a 5xx and a local refusal (data, smtp_address) are final."""
    from tuimail.core.smtp import refusal_code  # loaded by the attempt that got it

    code = refusal_code(refusal)
    return code is not None and 400 <= code < 500


def _subject_of(eml: Path) -> str:
    """The Subject of a queued message file (sanitised), "" when it cannot be read."""
    try:
        with eml.open("rb") as f:
            head = f.read(1 << 16).partition(b"\r\n\r\n")[0]
        headers = BytesHeaderParser(policy=default_policy).parsebytes(head)
        return sanitize(str(headers.get("subject", "") or ""))
    except Exception:  # an unreadable file is still listed, without a subject
        return ""


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir("tuimail"))


def _legacy_name(name: str) -> str:
    """The directory name tuimail used for an account before: not one per name."""
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", name) or "_"


def _safe_name(name: str) -> str:
    """An account's directory name, one per account name: the name itself when it has
    only safe characters, else those kept (the others "_") and a hash of the name. The
    names "ü" and "ö" were both "_": one outbox for two accounts, so each sent the
    other's messages with its own login and server; ".." named the data directory."""
    safe = _legacy_name(name)
    if safe == name and name not in (".", ".."):
        return safe
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{safe}-{digest}"


# -- durable files ---------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same directory, fsync, rename, fsync the directory."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if exc.filename is None:  # a full disk: say which file (the outbox), not "output"
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


@contextlib.contextmanager
def _message_lock(directory: Path, entry_id: str) -> Iterator[bool]:
    """The exclusive lock of one message (`<id>.lock` beside it, held by whoever sends
    it): True when taken here, False when another process holds it."""
    fd = os.open(directory / f"{entry_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def unclaimed(account_names: Iterable[str], root: Path | None = None) -> list[Outbox]:
    """Outboxes holding messages whose account is not among `account_names` (renamed or
    removed from the configuration since): still listed and removable, never lost
    from sight."""
    base = (root or data_dir()) / "outbox"
    account_names = list(account_names)
    for name in account_names:  # each takes its messages from a shared older directory
        Outbox(name, root)
    claimed = {_safe_name(name) for name in account_names}
    try:
        names = sorted(p.name for p in base.iterdir() if p.is_dir() and p.name not in claimed)
    except OSError:
        return []
    boxes = [Outbox(name, root) for name in names]
    return [box for box in boxes if box.count()]


class Outbox:
    """The outbox of one account."""

    def __init__(self, account_name: str, root: Path | None = None) -> None:
        self.account_name = account_name
        base = root or data_dir()
        self.dir = base / "outbox" / _safe_name(account_name)
        self.sent_dir = base / "sent" / _safe_name(account_name)
        legacy = base / "outbox" / _legacy_name(account_name)
        if legacy != self.dir:
            self._adopt(legacy, self.dir, legacy)
            # the sent history too; an older tuimail moves a message there holding its
            # outbox lock
            self._adopt(base / "sent" / _legacy_name(account_name), self.sent_dir, legacy)

    def _adopt(self, legacy: Path, target: Path, locks: Path) -> None:
        """Take over this account's messages from `legacy`, a directory an older tuimail
        shared between names (by the account named in each state; others' stay), into
        `target`, one message at a time, each under its lock in `locks` (where the older
        tuimail locks it while sending it). The state is written here first, then the
        message moved: an interruption leaves it listed in one of the two, never lost."""
        if not legacy.is_dir():
            return
        for state in legacy.glob("*.json"):
            try:
                data = json.loads(state.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(data, dict) or data.get("account") != self.account_name:
                continue
            eml = state.with_suffix(".eml")
            try:
                locked = (  # no directory there: nothing of it is being sent
                    _message_lock(locks, state.stem)
                    if locks.is_dir()
                    else contextlib.nullcontext(True)
                )
                with locked as mine:
                    if not mine:  # an older tuimail is sending it now: taken next time
                        continue
                    if eml.exists():
                        write_atomic(target / state.name, state.read_bytes())
                        os.replace(eml, target / eml.name)
                        _fsync_dir(target)
                    if (target / eml.name).exists():
                        os.unlink(state)
                        with contextlib.suppress(OSError):
                            os.unlink(locks / f"{state.stem}.lock")
            except OSError:
                continue  # left where it was: listed there, tried again next time

    # paths
    def _eml(self, entry_id: str, sent: bool = False) -> Path:
        return (self.sent_dir if sent else self.dir) / f"{entry_id}.eml"

    def _state(self, entry_id: str, sent: bool = False) -> Path:
        return (self.sent_dir if sent else self.dir) / f"{entry_id}.json"

    # -- writing -------------------------------------------------------------------

    def enqueue(self, raw: bytes, sender: str, recipients: list[str]) -> OutboxEntry:
        """Store the message durably (message first, then its state) and return it."""
        if not recipients:
            raise ValueError("the message has no recipients")
        from tuimail.core.mime.long_lines import fit_lines

        raw = fit_lines(raw)  # a line over 998 octets would be broken by the servers
        entry_id = time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)
        headers = BytesHeaderParser(policy=default_policy).parsebytes(header_block(raw))
        entry = OutboxEntry(
            id=entry_id,
            account=self.account_name,
            sender=sender,
            recipients=list(recipients),
            subject=sanitize(str(headers.get("subject", "") or "")),
            message_id=sanitize(str(headers.get("message-id", "") or "")),
        )
        write_atomic(self._eml(entry_id), raw)
        try:
            self.save(entry)
        except OSError:  # a full disk: not queued, so no message is left without a state
            with contextlib.suppress(OSError):
                self._eml(entry_id).unlink()
            raise
        return entry

    def save(self, entry: OutboxEntry, *, sent: bool = False) -> None:
        entry.updated = time.time()
        data = json.dumps(entry.to_json(), indent=1, ensure_ascii=False).encode("utf-8")
        write_atomic(self._state(entry.id, sent), data)

    def _move_to_sent(self, entry: OutboxEntry) -> None:
        self.sent_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.save(entry, sent=True)
        os.replace(self._eml(entry.id), self._eml(entry.id, sent=True))
        _fsync_dir(self.sent_dir)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._state(entry.id))
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.dir / f"{entry.id}.lock")
        _fsync_dir(self.dir)

    # -- reading -------------------------------------------------------------------

    def entries(self, *, include_sent: bool = False) -> list[OutboxEntry]:
        """Pending entries (and the sent ones when asked), oldest first."""
        out = list(self._read_dir(self.dir))
        if include_sent:
            out += list(self._read_dir(self.sent_dir))
        return sorted(out, key=lambda e: (e.created, e.id))

    def count(self) -> int:
        """How many messages wait: len(entries()), without reading their states (an
        entry is its message file; entries() lists each, readable state or not)."""
        if not self.dir.is_dir():
            return 0
        return sum(1 for _eml in self.dir.glob("*.eml"))

    def _read_dir(self, directory: Path) -> Iterator[OutboxEntry]:
        if not directory.is_dir():
            return
        for eml in directory.glob("*.eml"):
            yield self._read(eml)

    def _read(self, eml: Path) -> OutboxEntry:
        """The entry of a message file: its state, or, missing or unreadable, a failed
        entry saying so (with the message's subject)."""
        entry_id = eml.stem
        state = eml.with_suffix(".json")
        try:
            return OutboxEntry.from_json(json.loads(state.read_text("utf-8")))
        except FileNotFoundError:
            # Interrupted between the message and its state: keep it, visibly.
            entry = self._without_state(entry_id, ORPHAN, created=eml.stat().st_mtime)
        except (ValueError, TypeError) as exc:
            entry = self._without_state(entry_id, UNREADABLE, detail=sanitize(str(exc)))
        entry.subject = _subject_of(eml)
        return entry

    def _without_state(
        self, entry_id: str, reason: str, created: float | None = None, **data: object
    ) -> OutboxEntry:
        """A message whose state is missing or cannot be read: listed as failed, for
        `reason` (never sent by a pass: it has no recipients)."""
        entry = OutboxEntry(
            id=entry_id, account=self.account_name, sender="", recipients=[], state="failed"
        )
        if created is not None:
            entry.created = created
        entry.failed_because(reason, **data)
        return entry

    def get(self, entry_id: str) -> OutboxEntry:
        """The entry as `entries()` lists it: a waiting message whose state is missing
        (queuing interrupted) or unreadable is its failed entry, not an exception."""
        eml = self._eml(entry_id)
        if eml.exists():
            return self._read(eml)
        path = self._state(entry_id, sent=True)
        if path.exists():
            return OutboxEntry.from_json(json.loads(path.read_text("utf-8")))
        raise KeyError(entry_id)

    def raw(self, entry_id: str) -> bytes:
        for sent in (False, True):
            path = self._eml(entry_id, sent)
            if path.exists():
                return path.read_bytes()
        raise KeyError(entry_id)

    def prune_sent(self, days: int, now: float | None = None) -> int:
        """Delete delivered entries older than `days` (0: keep all); how many went.

        The age is from the entry's last state change (when it was delivered), or the
        message file's time when its state cannot be read.
        """
        if days <= 0 or not self.sent_dir.is_dir():
            return 0
        cutoff = (time.time() if now is None else now) - days * 86400
        removed = 0
        for eml in self.sent_dir.glob("*.eml"):
            state = eml.with_suffix(".json")
            try:
                when = float(json.loads(state.read_text("utf-8"))["updated"])
            except (OSError, ValueError, TypeError, KeyError):
                try:
                    when = eml.stat().st_mtime
                except FileNotFoundError:
                    continue
            if when >= cutoff:
                continue
            for path in (eml, state):  # a state file alone is never listed
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            removed += 1
        if removed:
            _fsync_dir(self.sent_dir)
        return removed

    def remove(self, entry_id: str) -> None:
        """Delete a pending message (the user gave up on it)."""
        for path in (self._eml(entry_id), self._state(entry_id), self.dir / f"{entry_id}.lock"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def discard(self, entry_id: str) -> bool:
        """Delete a pending message the user gave up on, unless another process (or this
        one's outbox pass) is sending it right now: then nothing changes and False."""
        with self._locked(entry_id) as mine:
            if not mine:
                return False
            self.remove(entry_id)
            return True

    @contextlib.contextmanager
    def _locked(self, entry_id: str) -> Iterator[bool]:
        """An exclusive lock per message, so the app and the CLI never both send it."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with _message_lock(self.dir, entry_id) as mine:
            yield mine

    def recover(self) -> None:
        """Entries left by a process that died: decide what they are now.

        "sending": during the data, "may have been sent" (for the recipients not yet
        recorded as delivered: a transaction the server answered is); after the last
        transaction was answered, sent; before the data, tried again. "sent"
        or "partial" still here: it died after the message went out and before it moved
        to sent/ (while copying it to Sent, say): it is delivered, never waiting, so the
        move is finished. Whether the copy reached the server is unknown: it is not tried
        again (that could store it twice) and the record says so."""
        for listed in self.entries():
            if listed.state not in ("sending", "sent", "partial"):
                continue
            with self._locked(listed.id) as mine:
                if not mine:
                    continue  # someone is sending it right now
                # Decided from the state under the lock: another process (the app, the
                # CLI) may have finished its attempt between the listing and the lock.
                if not self._eml(listed.id).exists():
                    continue  # moved to sent/ (get() would read that record) or deleted
                entry = self.get(listed.id)
                if entry.state not in ("sending", "sent", "partial"):
                    continue
                if entry.state != "sending":
                    if entry.copy is None and entry.sent_copy is None:
                        entry.copy = {"outcome": "interrupted"}
                    self._move_to_sent(entry)
                    continue
                if entry.stage == "data":
                    entry.state = "maybe_sent"
                    entry.failed_because(INTERRUPTED)
                elif not entry.recipients and entry.delivered:
                    # Everyone's transaction was answered (QUIT was in flight): delivered.
                    entry.state = "partial" if entry.refused else "sent"
                    entry.stage = entry.next_attempt = None
                    entry.last_error = entry.failure = None
                    if entry.refused:
                        entry.failed_because(PARTLY_REFUSED, refused=dict(entry.refused))
                    if entry.copy is None and entry.sent_copy is None:
                        entry.copy = {"outcome": "not-tried"}
                    self._move_to_sent(entry)
                    continue
                else:
                    entry.state = "retrying"
                    entry.next_attempt = time.time()
                entry.stage = None
                self.save(entry)

    def due(self, now: float | None = None) -> list[OutboxEntry]:
        now = time.time() if now is None else now
        return [
            e
            for e in self.entries()
            if e.state == "queued" or (e.state == "retrying" and (e.next_attempt or 0) <= now)
        ]

    def sendable(self, *, force: bool = False, retrying: bool = False) -> list[OutboxEntry]:
        """The one selection of what a pass sends (the app's timer, its "send waiting
        messages now", `tuimail outbox --retry`): due messages, or with `force` (the user
        asked) queued, retrying and failed ones at once; with `retrying` (the user asked to
        check now: Ctrl+R) queued and retrying ones before their time, not failed ones.
        Never a "may have been sent" one: that goes only through
        `send(id, resend_maybe_sent=True)`, one message the user named.
        """
        if force or retrying:
            states = ("queued", "retrying", "failed") if force else ("queued", "retrying")
            todo = [e for e in self.entries() if e.state in states]
        else:
            todo = self.due()
        return [e for e in todo if e.recipients]

    # -- sending -------------------------------------------------------------------

    async def send(
        self,
        entry_id: str,
        account: Account,
        password: Secret | None,
        *,
        force: bool = False,
        resend_maybe_sent: bool = False,
        timeout: float = 60.0,
    ) -> OutboxEntry:
        """One attempt for one message; returns its new state.

        Without `force` only queued and due retrying messages go; `force` (the user
        asked) also sends failed ones and retrying ones before their time. A "may have been
        sent" message goes only with `resend_maybe_sent` (the user named that message), so a
        pass can never resend one, even if its state changed after the pass chose it.
        """
        with self._locked(entry_id) as mine:
            entry = self.get(entry_id)
            if not mine or entry.state in ("sent", "partial", "sending") or not entry.recipients:
                return entry  # no recipients: its state was lost, nobody to send it to
            allowed = (
                ("queued", "retrying", "failed") if force or resend_maybe_sent else ("queued",)
            )
            if resend_maybe_sent:
                allowed += ("maybe_sent",)
            if entry.state not in allowed and not (
                entry.state == "retrying" and (entry.next_attempt or 0) <= time.time()
            ):
                return entry
            raw = self.raw(entry_id)
            entry.state, entry.stage = "sending", "connecting"
            entry.attempts += 1
            self.save(entry)

            def before_data() -> None:
                entry.stage = "data"
                self.save(entry)

            def after_data(accepted: list[str], refused: dict) -> None:
                # The server took it for `accepted`: durable at once, so an interruption
                # before submit() returns (QUIT in flight, the other SMTPUTF8
                # transaction) never calls them "maybe sent" (recover()).
                final = {a: r for a, r in refused.items() if not _deferred(r)}
                entry.delivered += [a for a in accepted if a not in entry.delivered]
                entry.refused.update(final)
                entry.recipients = [
                    r for r in entry.recipients if r not in accepted and r not in final
                ]
                entry.stage = "accepted"
                self.save(entry)

            # Imported here: counting and listing the outbox (every start of the app) does
            # not need the SMTP client (aiosmtplib).
            from tuimail.core.smtp import SubmitError, submit

            try:
                result = await submit(
                    account,
                    password,
                    entry.sender,
                    entry.recipients,
                    raw,
                    timeout=timeout,
                    before_data=before_data,
                    after_data=after_data,
                )
            except SubmitError as exc:
                return self._failed(entry, exc)
            except Exception as exc:  # a bug or an unexpected error: keep and retry
                unexpected = SubmitError(
                    "temporary",
                    "unexpected",
                    data={"type": type(exc).__name__, "detail": sanitize(str(exc))},
                )
                return self._failed(entry, unexpected)
            return await self._delivered(
                entry, result.accepted, result.refused, account, password, raw
            )

    def _failed(self, entry: OutboxEntry, exc: SubmitError) -> OutboxEntry:
        entry.stage = None
        entry.last_error = None
        entry.failure = exc.record()
        if exc.kind == "temporary":
            entry.state = "retrying"
            delay = BACKOFF[min(entry.attempts, len(BACKOFF)) - 1]
            entry.next_attempt = time.time() + delay
        elif exc.kind == "maybe_sent":
            # Who was refused for good at RCPT never got it: not among who may have it
            # (nor sent to by a --resend); a 4xx one stays with them.
            final = {
                a: r for a, r in exc.refused.items() if a in entry.recipients and not _deferred(r)
            }
            entry.refused.update(final)
            entry.recipients = [r for r in entry.recipients if r not in final]
            entry.state = "maybe_sent"
            entry.next_attempt = None
        else:
            entry.state = "failed"
            entry.next_attempt = None
        self.save(entry)
        return entry

    async def _delivered(
        self,
        entry: OutboxEntry,
        accepted: list[str],
        refused: dict[str, str],
        account: Account,
        password: Secret | None,
        raw: bytes,
    ) -> OutboxEntry:
        entry.stage = None
        entry.delivered += [a for a in accepted if a not in entry.delivered]
        temporary = {a: r for a, r in refused.items() if _deferred(r)}
        entry.refused.update({a: r for a, r in refused.items() if a not in temporary})
        entry.recipients = list(temporary)
        if temporary:
            entry.state = "retrying"
            entry.failed_because(DEFERRED, refused=temporary)
            entry.next_attempt = time.time() + BACKOFF[min(entry.attempts, len(BACKOFF)) - 1]
        else:
            entry.state = "partial" if entry.refused else "sent"
            entry.next_attempt = None
            entry.last_error = entry.failure = None
            if entry.refused:
                entry.failed_because(PARTLY_REFUSED, refused=dict(entry.refused))
        copy = entry.copy is None and entry.sent_copy is None
        if copy:  # until its outcome is known: an interruption never makes a second copy
            entry.copy = {"outcome": "interrupted"}
        # The message went out: record that first, so nothing can send it twice.
        self.save(entry)
        if copy:
            from tuimail.core.mime.bcc_record import with_bcc

            # The sender's record names the blind recipients too (sent without Bcc).
            everyone = [*accepted, *refused]
            entry.copy = await self._copy_to_sent(account, password, with_bcc(raw, everyone))
        if entry.state in ("sent", "partial"):
            self._move_to_sent(entry)
        else:
            self.save(entry)
        return entry

    async def _copy_to_sent(self, account: Account, password: Secret | None, raw: bytes) -> dict:
        """The copy to Sent (tried once; a local copy is always kept), as data."""
        if not account.save_sent_copy:
            return {"outcome": "off"}
        if account.protocol != "imap" or password is None:
            return {"outcome": "local-only"}
        from tuimail.core.sent_copy import AppendError, append_copy

        try:
            result = await asyncio.to_thread(append_copy, account, password, raw, "sent")
        except AppendError as exc:
            error = error_record(exc.error) if exc.error is not None else None
            return {"outcome": "failed", "step": exc.step, "error": error, "detail": ""}
        except Exception as exc:  # a bug or an unforeseen error: the local copy is kept
            detail = sanitize(str(exc)) or type(exc).__name__
            return {"outcome": "failed", "step": "unexpected", "error": None, "detail": detail}
        return {"outcome": "saved", "folder": result.folder}

    async def process(
        self, account: Account, password: Secret | None, *, force: bool = False
    ) -> list[OutboxEntry]:
        """Send every due message; their new states.

        `force` (the user asked) sends queued, retrying and failed ones at once; a
        "may have been sent" message goes only through `send(id, force=True)`.
        """
        self.recover()
        todo = self.sendable(force=force)
        return [await self.send(e.id, account, password, force=force) for e in todo]


async def send_now(
    raw: bytes,
    sender: str,
    recipients: list[str],
    account: Account,
    password: Secret | None,
    *,
    outbox: Outbox | None = None,
    timeout: float = 60.0,
) -> OutboxEntry:
    """Queue durably, then make the first attempt: what "Send" does."""
    outbox = outbox or Outbox(account.name)
    entry = outbox.enqueue(raw, sender, recipients)
    entry = await outbox.send(entry.id, account, password, timeout=timeout)
    outbox.prune_sent(account.sent_retention_days)
    return entry
