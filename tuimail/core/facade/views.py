"""The data the UI is given: folders, list rows, the reader's view, drafts; the errors
whose text is a sentence for the user."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tuimail.core.account import Account
from tuimail.core.runtime import ServiceEvent
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import Secret

SPECIAL_ORDER = {"inbox": 0, "drafts": 1, "sent": 2, "archive": 3, "junk": 4, "trash": 5}
UNIFIED = "__unified__"
# The app's "folder" of search results: a name no folder can have (a NUL, which a LIST
# line may not carry: tuimail.core.imap.names), so a server folder called "__search__"
# (as it was) is a folder like any other, not taken for the results.
SEARCH = "\x00search"
MAX_SHOWN_DEPTH = 6  # levels of indentation in the folder tree


# -- view models ----------------------------------------------------------------------


@dataclass(frozen=True)
class Undone:
    """What an undo (u) took back, as data: the `action` ("move", "delete", "archive",
    "flag", "unflag", "read", "unread") and how many messages it covered; the words are
    the edge's (tuimail.words)."""

    action: str
    count: int


@dataclass(frozen=True)
class FolderInfo:
    account: str
    name: str  # the server's name (sanitize before display)
    special_use: str | None = None  # "inbox", "sent", "trash", ...
    unread: int = 0
    total: int = 0
    delimiter: str | None = "/"  # the server's hierarchy delimiter (None: a flat name)

    @property
    def label(self) -> str:
        """The last level of the name, split at the folder's own delimiter only (a dot in
        "Projects/v2.0" or a "[" in "[b]x" is part of the name)."""
        leaf = self.name.rsplit(self.delimiter, 1)[-1] if self.delimiter else self.name
        return sanitize(leaf or self.name)

    @property
    def depth(self) -> int:
        """How deep the folder sits, bounded so a very deep one stays on screen."""
        if not self.delimiter:
            return 0
        return min(self.name.strip(self.delimiter).count(self.delimiter), MAX_SHOWN_DEPTH)


def inbox_of(folders: Iterable[FolderInfo], account: str | None = None) -> FolderInfo | None:
    """The account's inbox among `folders` (any account's when `account` is None): the
    folder marked inbox, else the one named INBOX in any letters (RFC 3501: the name is
    case-insensitive; Yahoo lists "Inbox"), else the account's first folder; None when the
    account has no folder listed yet. The one rule for "an account's inbox" in the UI."""
    mine = [f for f in folders if account is None or f.account == account]
    marked = next((f for f in mine if f.special_use == "inbox"), None)
    named = marked or next((f for f in mine if f.name.upper() == "INBOX"), None)
    return named or (mine[0] if mine else None)


@dataclass(frozen=True)
class MessageRow:
    id: int  # unique within the service
    account: str
    folder: str
    uid: int
    date: datetime | None
    sender: str
    subject: str
    size: int = 0
    seen: bool = False
    flagged: bool = False
    answered: bool = False
    has_attachments: bool = False
    depth: int = 0
    message_id: str = ""
    thread: str = ""  # the store's thread id (References/In-Reply-To)
    recipients: str = ""  # To: as stored (sanitized), shown instead of the sender in Sent
    note: str = ""  # why the header could only be read in part (store.headers), else ""
    arrival: bool = False  # `date` is when it arrived: no (believable) Date header
    # In a thread tree (tuimail.core.thread_list): the tree lines before the subject, the
    # thread's key, whether this is its first row, its size, collapsed, any unread in it.
    tree: str = ""
    thread_key: str = ""
    thread_root: bool = False
    thread_count: int = 0
    collapsed: bool = False
    thread_unread: bool = False

    @property
    def flags_key(self) -> tuple[bool, bool, bool, bool, bool]:
        return (self.seen, self.flagged, self.answered, self.collapsed, self.thread_unread)


class MessageListSource(Protocol):
    def count(self) -> int: ...

    def rows(self, offset: int, limit: int) -> Sequence[MessageRow]: ...


@dataclass
class ReaderBlock:
    kind: str  # "text", "quote", "signature"; notes, worded at the edge:
    # "stored-note" (`text` is the store's note kind, tuimail.core.store NOTE_*) and
    # "mime-note" (`note` is what was done to show it, tuimail.core.mime.notes.Note)
    text: str
    note: Any = None


@dataclass
class ReaderAttachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass
class ReaderView:
    """A message ready to show: every string already sanitized."""

    headers: list[tuple[str, str]]
    blocks: list[ReaderBlock]
    links: list[str]
    attachments: list[ReaderAttachment]
    subject: str = ""


@dataclass
class Draft:
    """What the composer edits (replaced by tuimail.core.compose.Draft when it lands)."""

    account: str
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    attachments: list[str] = field(default_factory=list)
    in_reply_to: str = ""
    references: str = ""
    reply_to: MessageRow | None = None  # the message answered (flagged \\Answered on send)
    # Attachments carried over (forward, a reopened draft): their names are listed in
    # `attachments` like paths, and a name found here is these bytes, not a file.
    carried: list[Any] = field(default_factory=list)
    message_id: str = ""  # kept by a saved or reopened draft; sending removes that draft
    resumed_from: MessageRow | None = None  # the Drafts message this was opened from
    kind: str = "new"  # "new", "reply", "forward", "draft" (reopened): where typing starts
    identity: str = ""  # the From address (one of the account's identities); "": its own
    # (account, outbox id) of this message's copy refused for good by an earlier Send
    # (kept in the outbox, never sent by itself): the next Send replaces it.
    refused: tuple[str, str] | None = None


Listener = Callable[[ServiceEvent], None]
PasswordGetter = Callable[[Account], Secret]


class ServiceError(Exception):
    """A facade step that failed. With a `reason` (SERVICE_REASONS) the words for people
    are made at the edge (tuimail.words.describe.describe) from `reason` and `data`; without one,
    its message is a sentence for the user (core's own, no server's words)."""

    def __init__(self, message: str = "", *, reason: str = "", data: dict | None = None) -> None:
        super().__init__(message or (f"service: {reason}" if reason else "service"))
        self.reason = reason
        # what a sentence needs: the failing step's subject, and the underlying failure
        # as `error` (a typed error) or `type` + `detail` (an exception's type and words)
        self.data = dict(data or {})


# ServiceError.reason: the facade step that failed (data as noted).
SERVICE_REASONS = (
    "search",  # the local store could not run a search (data: type, detail)
    "no-list",  # no reply to the list (data: why, one of NO_LIST_WHY)
    "attachment",  # an attachment could not be saved or opened (data: step, save/open,
    # error: the mime module's AttachmentError)
    "save-messages",  # messages could not be saved as files (data: path, detail: the OS's)
    "no-account",  # no account has that name (data: name)
    "no-folder",  # the account has no folder of that name (data: name)
    "folder-kept",  # INBOX or a special folder cannot be deleted (data: name)
    "nothing-to-undo",  # no move or action left to undo
    "undo-gone",  # the messages to put back were removed on the server: nothing undone
    "not-an-address",  # a recipient is not an e-mail address; nothing sent (data: address)
    "no-recipients",  # a message without any recipient; nothing sent
)

# data["why"] of a "no-list" ServiceError (tuimail.core.compose.NoListAddress.why).
NO_LIST_WHY = ("no-list-post", "posts-refused")


class QueuedError(ServiceError):
    """Not sent now, but safe on disk in the outbox (it is tried again by itself).
    `entry` is its outbox entry, whose typed `failure` says why (the words for people:
    tuimail.words.describe.describe)."""

    def __init__(self, entry: object) -> None:
        # A record for logs (the outbox id and state); people read tuimail.words.describe.describe.
        super().__init__(f"queued: {getattr(entry, 'id', '')} {getattr(entry, 'state', '')}")
        self.entry = entry
