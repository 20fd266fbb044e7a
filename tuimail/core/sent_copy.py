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
) -> AppendResult:
    """APPEND `raw` to the account's Sent or Drafts folder; AppendError on failure."""
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
        return AppendResult(folder, uid, uidvalidity)
    except (IMAPClientError, OSError, MailError) as exc:
        raise AppendError("store", classify_imap(exc, host=host)) from exc
    finally:
        _logout(client)


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
    keep: int | None = None,
) -> bool:
    """Remove one message by UID (an older version of a draft); True if it was removed.

    With `message_id`, only when the message at that UID has that Message-ID and is not
    `keep` (the new copy's UID), whatever the UIDVALIDITY: the UID came from the server's
    APPENDUID, and a server that lied there (or gives a new UIDVALIDITY at every session,
    its UIDs kept) would otherwise have another message deleted. Without it, only when
    the folder's UIDVALIDITY is still the one the UID was given under. And only with UID
    EXPUNGE (UIDPLUS): a plain EXPUNGE would also remove every other message marked
    \\Deleted in the folder. Otherwise the old copy is left where it is (False).
    """
    if uidvalidity is None:
        return False
    client = login(account, password, timeout)
    try:
        status = client.select_folder(folder)
        if message_id:
            if uid == keep or not _holds(client, uid, message_id):
                return False
        elif status.get(b"UIDVALIDITY") != uidvalidity:
            return False
        if not client.has_capability("UIDPLUS"):
            return False
        client.delete_messages([uid])
        client.uid_expunge([uid])
        return True
    finally:
        _logout(client)


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
