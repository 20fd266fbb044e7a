"""NOTIFY (RFC 5465), the part Dovecot is used for: MailboxName events as LIST lines.

    wants = parse_notify(args)            # BadCommand on a malformed NOTIFY
    wants.mailbox_names                   # MailboxName asked for some mailbox set
    renamed_line(old, new, mailbox_out)   # b'* LIST () "/" New ("OLDNAME" (Old))'
    deleted_line(name, mailbox_out)       # b'* LIST (\\NonExistent) "/" Old'

As Dovecot 2.3 does: a rename is told as the new name with an OLDNAME extended item, a
deletion as the name with \\NonExistent, at once, also during IDLE. Events about messages
are not sent for other mailboxes (only MailboxName is kept); the selected mailbox's are the
usual ones either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from testserver.imap.parser import BadCommand, is_atom
from testserver.mailstore import DELIMITER

FILTERS = {"SELECTED", "SELECTED-DELAYED", "INBOXES", "PERSONAL", "SUBSCRIBED"}
WITH_MAILBOXES = {"SUBTREE", "MAILBOXES"}
EVENTS = {
    "MESSAGENEW",
    "MESSAGEEXPUNGE",
    "FLAGCHANGE",
    "ANNOTATIONCHANGE",
    "MAILBOXNAME",
    "SUBSCRIPTIONCHANGE",
    "MAILBOXMETADATACHANGE",
    "SERVERMETADATACHANGE",
}


@dataclass(frozen=True)
class NotifyWants:
    mailbox_names: bool = False


def parse_notify(args: list) -> NotifyWants:
    """`NOTIFY NONE` or `NOTIFY SET [STATUS] (filter events) ...` -> what is wanted."""
    if len(args) == 1 and is_atom(args[0], "NONE"):
        return NotifyWants()
    if not args or not is_atom(args[0], "SET"):
        raise BadCommand("NOTIFY needs SET or NONE.")
    groups = args[1:]
    if groups and is_atom(groups[0], "STATUS"):
        groups = groups[1:]
    if not groups:
        raise BadCommand("NOTIFY SET needs an event group.")
    names = False
    for group in groups:
        if not isinstance(group, list) or len(group) < 2:
            raise BadCommand("Invalid NOTIFY event group.")
        kind = group[0].upper() if isinstance(group[0], str) else ""
        if kind not in FILTERS | WITH_MAILBOXES:
            raise BadCommand("Unknown NOTIFY mailbox filter.")
        events = group[-1]
        if is_atom(events, "NONE"):
            continue
        if not isinstance(events, list) or not events:
            raise BadCommand("Invalid NOTIFY events.")
        words = {e.upper() for e in events if isinstance(e, str)}
        if not words <= EVENTS:
            raise BadCommand("Unknown NOTIFY event.")
        if "MAILBOXNAME" in words and not kind.startswith("SELECTED"):
            names = True
    return NotifyWants(mailbox_names=names)


def renamed_line(old: str, new: str, mailbox_out: Callable[[str], bytes]) -> bytes:
    return (
        f'* LIST () "{DELIMITER}" '.encode()
        + mailbox_out(new)
        + b' ("OLDNAME" ('
        + mailbox_out(old)
        + b"))"
    )


def deleted_line(name: str, mailbox_out: Callable[[str], bytes]) -> bytes:
    return f'* LIST (\\NonExistent) "{DELIMITER}" '.encode() + mailbox_out(name)
