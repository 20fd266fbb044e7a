"""Search: on the server (UID SEARCH) or in the store (FTS5); both return store rows.

    rows = server_search(engine, "INBOX", SearchQuery(from_="alice", unread=True))
    rows = local_search(store, "invoice from:alice", account="work")

Server results the store does not have yet (an old message of a folder still syncing)
are fetched into the store first, so every result is a `MessageRow` the UI can show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from imapclient.imapclient import format_criteria_date
from imapclient.response_parser import parse_message_list as _parse_message_list

from tuimail.core.imap.depth import bounded
from tuimail.core.imap.sync import SyncEngine
from tuimail.core.store import FolderRef, MessageRow, Store

parse_message_list = bounded(_parse_message_list)  # a nesting too deep: the server's fault

_PREFIXES = ("from", "to", "subject", "body")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _Value(str):
    """A search key's argument: always sent as a string (quoted, or a literal when
    8-bit), never as an atom. imapclient quotes only values with a space, quote or
    backslash, so `foo(`, `*` or `50%` went out as atoms and the server refused the
    whole search (Dovecot: "Invalid characters in atom")."""


@dataclass
class SearchQuery:
    from_: str | None = None
    to: str | None = None
    subject: str | None = None
    body: str | None = None
    text: str | None = None  # headers or body
    since: date | None = None  # on or after
    before: date | None = None  # strictly before
    unread: bool | None = None
    flagged: bool | None = None
    terms: tuple[tuple[str, str], ...] = ()  # (field, text) from the search line, ANDed

    @classmethod
    def from_words(cls, text: str) -> SearchQuery:
        """The search line's words as server criteria, meaning what they mean locally
        (tuimail.core.store.search.fts_query): `from:x` the sender, `to:x` the recipients
        (To or Cc), `subject:x`, `body:x` the text; any other word anywhere (TEXT). Every
        term must match. A prefix with nothing after it is an ordinary word."""
        terms = []
        for token in text.split():
            field, sep, rest = token.partition(":")
            field = field.lower()
            if sep and rest and field in _PREFIXES:
                terms.append((field, rest))
            else:
                terms.append(("text", token))
        return cls(terms=tuple(terms))

    def criteria(self) -> list:
        out: list = []
        for field, value in self.terms:
            if field == "to":
                out += ["OR", "TO", _Value(value), "CC", _Value(value)]
            else:
                out += [field.upper(), _Value(value)]
        for key, value in (
            ("FROM", self.from_),
            ("TO", self.to),
            ("SUBJECT", self.subject),
            ("BODY", self.body),
            ("TEXT", self.text),
        ):
            if value:
                out += [key, _Value(value)]
        if self.since:
            out += ["SINCE", self.since]
        if self.before:
            out += ["BEFORE", self.before]
        if self.unread is not None:
            out.append("UNSEEN" if self.unread else "SEEN")
        if self.flagged is not None:
            out.append("FLAGGED" if self.flagged else "UNFLAGGED")
        return out or ["ALL"]

    def wire_args(self) -> list[bytes]:
        """The criteria as SEARCH arguments: keys as atoms, dates as IMAP dates, every
        value a quoted string (8-bit ones are sent as literals by imapclient's
        _raw_command); control characters are left out of values (a CR or LF would end
        the command line)."""
        args: list[bytes] = []
        for item in self.criteria():
            if isinstance(item, _Value):
                raw = _CONTROL.sub("", item).encode("utf-8")
                if raw.isascii():
                    raw = b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
                args.append(raw)
            elif isinstance(item, date):
                args.append(format_criteria_date(item))
            else:
                args.append(str(item).encode("ascii"))
        return args

    def needs_utf8(self) -> bool:
        return any(
            isinstance(v, str) and not v.isascii()
            for v in (self.from_, self.to, self.subject, self.body, self.text)
        ) or any(not value.isascii() for _field, value in self.terms)


def server_search(engine: SyncEngine, folder: str, query: SearchQuery) -> list[MessageRow]:
    """UID SEARCH in one folder; results newest first, as store rows."""

    def step() -> list[int]:
        engine.client.select_folder(folder, readonly=True)
        charset = [b"CHARSET", b"UTF-8"] if query.needs_utf8() else []
        data = engine.client._raw_command_untagged(b"SEARCH", charset + query.wire_args())
        return list(parse_message_list(data))

    uids = engine._retrying(step)
    store = engine.store
    folder_id = store.folder_id(engine.account.name, folder)
    if folder_id is None:
        engine.sync_folder_list()
        folder_id = store.folder_id(engine.account.name, folder)
    if folder_id is None:
        return []
    known = set(store.uids(folder_id))
    missing = [u for u in uids if u not in known]
    if missing:
        engine._retrying(lambda: engine._fetch_new(folder_id, folder, missing))
    rows = [store.message_by_uid(folder_id, uid) for uid in sorted(uids, reverse=True)]
    return [r for r in rows if r is not None]


def local_search(
    store: Store,
    text: str,
    *,
    account: str | None = None,
    folder: FolderRef | None = None,
    limit: int = 200,
) -> list[MessageRow]:
    """Full-text search over headers and cached bodies (see Store.search)."""
    return store.search(text, account=account, folder=folder, limit=limit)
