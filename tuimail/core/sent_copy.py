"""IMAP APPEND of a sent message to Sent (\\Seen) or of a draft to Drafts (\\Draft).

The folder is found by SPECIAL-USE (RFC 6154) first, then by the usual names; if the
server has none, one is created with the common name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import seq_to_parenstr

from tuimail.core.account import Account
from tuimail.core.connect import account_address, open_imap
from tuimail.core.errors import MailError
from tuimail.core.imap.errors import classify_imap
from tuimail.core.secrets import Secret

FolderUse = Literal["sent", "drafts"]

_USE_FLAGS = {"sent": b"\\Sent", "drafts": b"\\Drafts"}
_FALLBACK_NAMES = {
    "sent": ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "INBOX.Sent", "Gesendet"),
    "drafts": ("Drafts", "INBOX.Drafts", "Draft", "Entwürfe"),
}
_FLAGS = {"sent": (b"\\Seen",), "drafts": (b"\\Draft", b"\\Seen")}


class AppendError(Exception):
    """The copy could not be stored on the server. `step` says where: "pop3" (no server
    folder to copy to), "login" or "store"; `error` the typed failure (IMAP classifier),
    with the server's code and words. str() is a record; the words for people are made
    at the edge (tuimail.words.sent.sent_copy)."""

    def __init__(self, step: str, error: MailError | None = None) -> None:
        said = (error.server_text or error.kind) if error is not None else ""
        super().__init__(f"{step}: {said}" if said else step)
        self.step = step
        self.error = error


@dataclass
class AppendResult:
    folder: str
    uid: int | None  # from APPENDUID when the server has UIDPLUS
    uidvalidity: int | None
    replaced: bool = False  # the `replace` copy was removed in the APPEND's session


@dataclass(frozen=True)
class OldCopy:
    """An earlier copy of the same message (a draft saved before): where it was stored,
    its UID and the UIDVALIDITY that UID was given under, and its Message-ID."""

    folder: str
    uid: int
    uidvalidity: int | None
    message_id: str = ""


def find_folder(client: IMAPClient, use: FolderUse) -> str | None:
    """The folder with the SPECIAL-USE flag, else one with a usual name."""
    from tuimail.core.imap.names import list_folders

    # Each LIST line on its own: one odd folder name never hides the Sent folder.
    listing = [(e.flags, e.delimiter, e.name) for e in list_folders(client)[0]]
    flag = _USE_FLAGS[use].lower()
    for flags, _delim, name in listing:
        if flag in {f.lower() for f in flags}:
            return name
    names = {name.lower(): name for _flags, _delim, name in listing}
    for candidate in _FALLBACK_NAMES[use]:
        if candidate.lower() in names:
            return names[candidate.lower()]
    return None


def login(account: Account, password: Secret, timeout: float | None = None) -> IMAPClient:
    """Logged in to the account's IMAP server; `timeout` defaults to the account's own
    (`timeout = N`), as every other connection of the account."""
    if timeout is None:
        from tuimail.core.connect import account_timeout

        timeout = account_timeout(account)
    client = open_imap(
        account.incoming,
        account.ca_file,
        timeout,
        address=account_address(account, account.incoming),
    )
    from tuimail.core import server_alerts

    # The greeting's [ALERT] and later ones are the account's, shown as sync's are (the
    # app's listener, `tuimail send`'s stderr), never dropped with this connection.
    server_alerts.attach(client._imap, account.name)
    try:
        from tuimail.core.imap.login import imap_login

        imap_login(client, account.login, password, host=account.incoming.host)
    except BaseException:
        _logout(client)
        raise
    return client


def append_copy(
    account: Account,
    password: Secret,
    raw: bytes,
    use: FolderUse = "sent",
    *,
    timeout: float | None = None,
    replace: OldCopy | None = None,
) -> AppendResult:
    """APPEND `raw` to the account's Sent or Drafts folder; AppendError on failure.

    With `replace` (in the same folder), that older copy is removed in this same session
    when that is safe (see _replace); `replaced` says whether it was. Failing to remove
    it never fails the APPEND: an old copy left is harmless."""
    if account.protocol != "imap":
        raise AppendError("pop3")
    host = account.incoming.host
    try:
        client = login(account, password, timeout)
    except (IMAPClientError, OSError, MailError) as exc:
        raise AppendError("login", classify_imap(exc, host=host, login=True)) from exc
    try:
        folder = find_folder(client, use)
        if folder is None:
            folder = _FALLBACK_NAMES[use][0]
            client.create_folder(folder)
        response = _append(client, folder, raw, _FLAGS[use])
        uidvalidity, uid = _appenduid(response)
        result = AppendResult(folder, uid, uidvalidity)
    except (IMAPClientError, OSError, MailError) as exc:
        raise AppendError("store", classify_imap(exc, host=host)) from exc
    else:
        if replace is not None and replace.folder == folder:
            try:
                result.replaced = _replace(client, result, replace)
            except (IMAPClientError, OSError, MailError):
                result.replaced = False
        return result
    finally:
        _logout(client)


def _replace(client: IMAPClient, new: AppendResult, old: OldCopy) -> bool:
    """Remove `old` after `new` was appended in this session. The new copy's UID is only
    known in the numbering its APPENDUID gave: unless the folder, selected now, still has
    that UIDVALIDITY, nothing is removed (a server that renumbered since may hold the new
    copy at the old UID). In it, the old UID is removed only if it is not the new copy
    and has the same Message-ID (a server that gives a new UIDVALIDITY at every session,
    its UIDs kept, still has its old copy replaced); without a Message-ID only under
    the UIDVALIDITY the old UID was given with."""
    if old.uidvalidity is None or new.uid is None or new.uidvalidity is None:
        return False
    status = client.select_folder(new.folder)
    if status.get(b"UIDVALIDITY") != new.uidvalidity:
        return False
    return _remove_selected(client, status, old.uid, old.uidvalidity, old.message_id, new.uid)


_BIG = 1 << 20


def _append(client: IMAPClient, folder: str, raw: bytes, flags: tuple) -> bytes:
    """`client.append(folder, raw, flags=flags)`. imaplib makes every line end CRLF
    first, by one regular-expression pass over the whole message (a list of a piece per
    line, then a copy: ~+100 MB for 40 MB); a big message whose line ends are all CRLF
    already (what tuimail writes) is given to the same APPEND command as it is."""
    imap = client._imap
    if (
        len(raw) <= _BIG
        or getattr(imap, "utf8_enabled", True)
        or not raw.count(b"\r") == raw.count(b"\n") == raw.count(b"\r\n")
    ):
        return client.append(folder, raw, flags=flags)
    # imaplib.IMAP4.append less its MapCRLF pass, through imapclient's own checks
    imap.literal = raw
    name = client._normalise_folder(folder)
    typ, data = imap._simple_command("APPEND", name, seq_to_parenstr(flags), None)
    client._checkok("append", typ, data)
    return data[0]


def delete_uid(
    account: Account,
    password: Secret,
    folder: str,
    uid: int,
    uidvalidity: int | None,
    timeout: float | None = None,
    *,
    message_id: str = "",
) -> bool:
    """Remove one message by UID (a draft that was sent, or an older version of one kept
    in another folder than its new copy); True if it was removed.

    With `message_id`, only when the message at that UID has that Message-ID, whatever
    the UIDVALIDITY: the UID came from the server's APPENDUID, and a server that lied
    there (or gives a new UIDVALIDITY at every session, its UIDs kept) would otherwise
    have another message deleted; every copy of the draft may go. (A new copy of the
    same message is never in this folder: replacing one is append_copy's `replace`,
    in the APPEND's own session.) Without it, only when the folder's UIDVALIDITY is
    still the one the UID was given under. And only with UID EXPUNGE (UIDPLUS): a plain
    EXPUNGE would also remove every other message marked \\Deleted in the folder.
    Otherwise the old copy is left where it is (False).
    """
    if uidvalidity is None:
        return False
    client = login(account, password, timeout)
    try:
        status = client.select_folder(folder)
        return _remove_selected(client, status, uid, uidvalidity, message_id)
    finally:
        _logout(client)


def _remove_selected(
    client: IMAPClient,
    status: dict,
    uid: int,
    uidvalidity: int | None,
    message_id: str,
    keep: int | None = None,
) -> bool:
    """delete_uid's checks and removal in the selected folder (`status`: its SELECT);
    `keep` is a UID of this session's numbering never removed."""
    if message_id:
        if uid == keep or not _holds(client, uid, message_id):
            return False
    elif uid == keep or status.get(b"UIDVALIDITY") != uidvalidity:
        return False
    if not client.has_capability("UIDPLUS"):
        return False
    client.delete_messages([uid])
    client.uid_expunge([uid])
    return True


def _holds(client: IMAPClient, uid: int, message_id: str) -> bool:
    """Whether the selected folder's message `uid` has the Message-ID `message_id`."""
    from tuimail.core.compose import message_ids

    wanted = message_ids(message_id) if message_id else []
    if not wanted:
        return False
    item = b"BODY[HEADER.FIELDS (MESSAGE-ID)]"
    data = client.fetch([uid], [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]).get(uid, {})
    header = data.get(item) or b""
    value = header.decode("utf-8", "replace").partition(":")[2]
    return message_ids(value)[:1] == wanted[:1]


def _appenduid(response: object) -> tuple[int | None, int | None]:
    text = response.decode("ascii", "replace") if isinstance(response, bytes) else str(response)
    m = re.search(r"APPENDUID\s+(\d+)\s+(\d+)", text, re.IGNORECASE)
    if not m:
        return None, None
    return int(m.group(1)), int(m.group(2))


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        try:
            client.shutdown()
        except Exception:
            pass
