"""Noticing that the folder an IDLE watches was renamed or deleted by another client.

    if ask_mailbox_names(client):           # NOTIFY (RFC 5465) offered and accepted
        ...                                 # the server tells renames/deletions at once
    moved = folder_moved(response, folder)  # an untagged LIST naming `folder`: Moved
    moved = told_before(client, folder)     # the same, told during a command
    still_listed(client, folder)            # False: LIST does not show it any more

Dovecot tells an IDLE on a renamed folder nothing until the next command (then BYE); with
NOTIFY SET ... (personal (MailboxName)) it sends `* LIST () "/" New ("OLDNAME" (Old))`
about 0.5 s after the rename, during IDLE too, and `* LIST (\\NonExistent) "/" Old` for a
deletion. Without NOTIFY the watcher checks with LIST at a short cadence instead (only
while it watches a folder other than INBOX, which cannot be renamed away).

Invariant: a notification is only a reason to look again; the folder list the server
gives on a fresh connection decides what is gone (a hostile or stale notice removes
nothing by itself).
"""

from __future__ import annotations

import imaplib

from imapclient.imap_utf7 import encode as utf7_encode
from imapclient.imapclient import _parse_untagged_response as parse_untagged

from tuimail.core.errors import MailError
from tuimail.core.imap.names import decode_name, is_raw, list_folders, mailbox_owner

# The selected mailbox's events as without NOTIFY (RFC 3501), plus mailbox names.
NOTIFY_SET = [
    b"SET",
    b"(selected (MessageNew MessageExpunge FlagChange))",
    b"(personal (MailboxName))",
]


class Moved(Exception):
    """The watched folder was renamed (`new_name`) or deleted (None) on the server."""

    def __init__(self, new_name: str | None = None) -> None:
        super().__init__(new_name)
        self.new_name = new_name


def ask_mailbox_names(client) -> bool:
    """NOTIFY SET for the selected mailbox and mailbox names, when the server offers
    NOTIFY; False when it is not offered or refused (the watcher then checks by LIST)."""
    if not client.has_capability("NOTIFY"):
        return False
    try:
        typ, _data = client._raw_command(b"NOTIFY", NOTIFY_SET, uid=False)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:  # BAD: imaplib raises instead of returning it
        if isinstance(exc, MailError):
            raise
        return False
    return typ == "OK"


def folder_moved(response, folder: str, delimiter: str | None) -> Moved | None:
    """A Moved when `response` (an untagged LIST as imapclient parses it during IDLE)
    says `folder`, or a folder above it, was renamed or deleted; else None."""
    if not isinstance(response, tuple) or len(response) < 4 or response[0] != b"LIST":
        return None
    flags, delim, name = response[1], response[2], _name(response[3])
    if name is None:
        return None
    sep = delim.decode("utf-8", "replace") if isinstance(delim, bytes) else delimiter
    old = _old_name(response[4:])
    if old is not None:  # renamed: old -> name
        rest = _below(folder, old, sep)
        return None if rest is None else Moved(name + rest)
    upper = (
        {f.upper() for f in flags if isinstance(f, bytes)} if isinstance(flags, tuple) else set()
    )
    if b"\\NONEXISTENT" in upper and _below(folder, name, sep) is not None:
        return Moved(None)
    return None


def told_before(client, folder: str, delimiter: str | None) -> Moved | None:
    """A Moved when a LIST notification that came during a command (imaplib keeps it
    aside) names `folder`; the notifications are taken out either way."""
    moved = None
    for data in client._imap.untagged_responses.pop("LIST", None) or ():
        if not isinstance(data, bytes):  # a literal name: (line, literal); not ours to guess
            continue
        try:
            response = parse_untagged(b"* LIST " + data)
        except Exception:  # unreadable: a notification is only a hint
            continue
        moved = folder_moved(response, folder, delimiter) or moved
    return moved


def still_listed(client, folder: str) -> bool | None:
    """LIST "" <folder>: True when the server lists it, False when not, None when the
    answer says nothing (LIST refused or unreadable): then nothing is concluded."""
    server = mailbox_owner(client)
    wire = folder.encode("utf-8") if is_raw(server, folder) else utf7_encode(folder)
    if not wire.isascii():
        return None  # a raw 8-bit name: imaplib sends only ASCII arguments
    pattern = '"' + wire.decode().replace("\\", "\\\\").replace('"', '\\"') + '"'
    try:
        entries, bad = list_folders(client, "LIST", pattern)
    except MailError:  # refused: the renewal's NOOP is all we have
        return None
    if bad:
        return None
    # By spelling too: a folder kept as spelled beside a twin ("Caf&AOk-" beside a raw
    # "Café") is listed alone here, so its name is decoded as the twin's.
    return any(
        (entry.wire == wire or entry.name == folder)
        and b"\\NONEXISTENT" not in {f.upper() for f in entry.flags}
        for entry in entries
    )


def _name(value) -> str | None:
    if isinstance(value, int):  # imapclient reads a name of digits as a number
        value = str(value).encode()
    if not isinstance(value, bytes) or not value:
        return None
    return decode_name(value)[0]


def _old_name(extended: tuple) -> str | None:
    """The OLDNAME of LIST's extended data (RFC 5465 5.4), if any."""
    for item in extended:
        if not isinstance(item, tuple):
            continue
        for key, value in zip(item[::2], item[1::2], strict=False):
            if isinstance(key, bytes) and key.upper() == b"OLDNAME":
                if isinstance(value, tuple) and value:
                    value = value[0]
                return _name(value)
    return None


def _below(folder: str, name: str, sep: str | None) -> str | None:
    """The rest of `folder`'s name when it is `name` or a folder inside it ("" when it is
    `name` itself); None when it is not."""
    if folder == name:
        return ""
    if sep and folder.startswith(name + sep):
        return folder[len(name) :]
    return None
