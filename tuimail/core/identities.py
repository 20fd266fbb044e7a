"""Identities: the addresses an account sends as, each with its name and signature.

An account's own `email` (with its `name` and `signature`) is always its first identity;
`identities = [{ email = "...", name = "...", signature = "..." }]` in [accounts.X] adds
more. A reply is written as the identity the message was sent to (To, Cc, then
Delivered-To / X-Original-To); every identity of every account can be chosen as From in
the composer, and sending goes through that account's server. An identity with no `name`
or `signature` of its own has the account's.

Invariants: the account's `email` is never an identity of its own list twice; addresses
compare case-insensitively; nothing here touches the network or the UI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import getaddresses
from typing import TYPE_CHECKING

from tuimail.core.account import Account

if TYPE_CHECKING:
    from email.message import Message

# The headers that say which of our addresses a message was sent to, most telling first.
_RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to")


@dataclass(frozen=True)
class Identity:
    account: str  # the [accounts.NAME] it sends through
    email: str
    name: str | None = None
    signature: str | None = None

    @property
    def key(self) -> str:
        """Lower-cased address: how an identity is found again (drafts, the composer)."""
        return self.email.lower()


def configured(account: Account) -> list[dict]:
    """The `identities` entries as written (checked by tuimail.core.config)."""
    extra = account.extra if isinstance(account.extra, dict) else {}
    value = extra.get("identities")
    return [entry for entry in value if isinstance(entry, Mapping)] if value else []


def identities(account: Account) -> list[Identity]:
    """The account's identities: its own address first, then the configured ones."""
    out = [Identity(account.name, account.email, account.display_name, account.signature)]
    seen = {account.email.lower()}
    for entry in configured(account):
        email = str(entry.get("email", "")).strip()
        if not email or email.lower() in seen:
            continue
        seen.add(email.lower())
        name = entry.get("name", account.display_name)
        signature = entry.get("signature", account.signature)
        out.append(Identity(account.name, email, name or None, signature or None))
    return out


def every_identity(accounts: Iterable[Account]) -> list[Identity]:
    """Every identity of every account, account by account (for the composer's From)."""
    return [identity for account in accounts for identity in identities(account)]


def find(account: Account, address: str | None) -> Identity:
    """The account's identity with this address; its first one when none matches."""
    mine = identities(account)
    wanted = (address or "").strip().lower()
    for identity in mine:
        if identity.key == wanted:
            return identity
    return mine[0]


def addressed_to(msg: Message, account: Account) -> Identity:
    """The identity a message was sent to: the first of ours in To, then Cc, then
    Delivered-To and X-Original-To; the account's own identity when none is ours. A
    message we wrote (From one of ours, e.g. in Sent) is followed up as its writer."""
    mine = {identity.key: identity for identity in identities(account)}
    for header in ("from", *_RECIPIENT_HEADERS):
        try:
            pairs = getaddresses(_raw_values(msg, header))
        except Exception:  # a header too broken to read names no identity
            continue
        for _name, address in pairs:
            found = mine.get(address.strip().lower())
            if found is not None:
                return found
    return identities(account)[0]


def _raw_values(msg: Message, name: str) -> list[str]:
    """A header's values as received, unfolded: never the header registry's parsing,
    which raises on hostile input (an encoded CR LF in a display name, a broken group)."""
    out = []
    for key, value in msg.raw_items():
        if key.lower() == name:
            out.append(re.sub(r"\r?\n(?=[ \t])", "", str(value)))
    return out


def signature_block(signature: str | None) -> str:
    """The text a body ends with for `signature` ("-- " line first); empty for none."""
    if not signature:
        return ""
    return "\n-- \n" + signature.rstrip("\n") + "\n"


def swap_signature(body: str, old: str | None, new: str | None) -> str:
    """`body` with the signature of `old` replaced by that of `new` (the last copy of the
    old block; the new one appended when there was none). A body whose old signature was
    edited away is left as it is: the person's text is never changed behind their back."""
    old_block, new_block = signature_block(old), signature_block(new)
    if old_block == new_block:
        return body
    if old_block:
        at = body.rfind(old_block.rstrip("\n"))
        if at < 0:
            return body
        end = at + len(old_block.rstrip("\n"))
        if body[end : end + 1] == "\n":
            end += 1
        return body[:at] + new_block + body[end:]
    if not new_block:
        return body
    return (body.rstrip("\n") + "\n" if body.strip() else "\n") + new_block
