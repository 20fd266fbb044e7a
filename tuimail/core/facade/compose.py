"""Composing and sending: drafts (new, reply, forward, reopened), identities, address
completion, sending through the durable outbox."""

from __future__ import annotations

import asyncio
import email
import email.utils
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tuimail.core.facade.sources import view_row
from tuimail.core.facade.views import Draft, MessageRow, QueuedError, ServiceError
from tuimail.core.runtime import ServiceEvent
from tuimail.core.sanitize import sanitize

_BOOK_LOCK = threading.Lock()  # the address book's scan of new mail, one thread at a time


class Composing:
    """MailService's drafts and sending."""

    def addresses(self, prefix: str) -> list[str]:
        """Address completion: `address_book_command` first, then the people you wrote
        to and received mail from (tuimail.core.addressbook), best first, "Name <addr>"."""
        from tuimail.core.addressbook import AddressBook, command_contacts

        out: list[str] = []
        if self.address_book_command:
            out += [c.formatted() for c in command_contacts(self.address_book_command, prefix)]
        try:
            book = getattr(self, "_address_book", None)
            if book is None:
                from tuimail.core.compose import own_addresses

                own: set[str] = set()
                for account in self.accounts.values():
                    own |= own_addresses(account)  # address, aliases, identities
                book = self._address_book = AddressBook(self.store, own)
            with _BOOK_LOCK:  # lookups run in threads: one scan of new mail at a time
                book.refresh()
            out += [c.formatted() for c in book.complete(prefix, limit=20)]
        except Exception as exc:  # completion never breaks the composer
            logging.getLogger("tuimail").debug("address completion failed: %s", type(exc).__name__)
        return list(dict.fromkeys(out))[:20]

    # composing and sending (tuimail.core.compose / outbox / drafts)
    def _core_draft(self, draft: Draft):
        from tuimail.core import compose

        attachments = []
        carried = {a.filename: a for a in draft.carried}
        for path in draft.attachments:
            if path in carried:
                attachments.append(carried[path])
                continue
            p = Path(path).expanduser()
            try:
                attachments.append(compose.Attachment.from_path(p))
            except OSError as exc:
                from tuimail.core.mime import AttachmentError

                detail = exc.strerror or type(exc).__name__
                error = AttachmentError("read", path=str(p), detail=detail)
                raise ServiceError(
                    reason="attachment", data={"step": "read", "error": error}
                ) from None
        return compose.Draft(
            from_addr=self._from_of(draft),
            to=_split(draft.to),
            cc=_split(draft.cc),
            bcc=_split(draft.bcc),
            subject=draft.subject,
            body=draft.body,
            attachments=attachments,
            in_reply_to=draft.in_reply_to or None,
            references=draft.references.split() if draft.references else [],
            message_id=draft.message_id or None,
        )

    def identities(self) -> list[Any]:
        """Every identity of every account (tuimail.core.identities.Identity), for From."""
        from tuimail.core.identities import every_identity

        return every_identity(self.accounts.values())

    def identity_of(self, draft: Draft) -> Any:
        """The identity a draft is written as (the account's own when none matches)."""
        from tuimail.core.identities import find

        return find(self.accounts[draft.account], draft.identity)

    def _from_of(self, draft: Draft) -> str:
        from tuimail.core import compose

        identity = self.identity_of(draft)
        return compose.format_address(identity.name, identity.email)

    def _ui_draft(self, account: str, core, row: MessageRow | None = None) -> Draft:
        from tuimail.core import compose
        from tuimail.core.identities import find

        carried = _carried(core.attachments)
        written_as = compose.address_of(core.from_addr) if core.from_addr else ""
        return Draft(
            account=account,
            identity=find(self.accounts[account], written_as).email,
            to=sanitize(", ".join(core.to)),
            cc=sanitize(", ".join(core.cc)),
            bcc=sanitize(", ".join(core.bcc)),
            subject=sanitize(core.subject),
            body=sanitize(core.body, multiline=True),
            attachments=[a.filename for a in carried],
            in_reply_to=core.in_reply_to or "",
            references=" ".join(core.references),
            reply_to=row,
            carried=carried,
            message_id=core.message_id or "",
        )

    def new_draft(self, account: str, identity: str = "") -> Draft:
        """A new message: empty but for the signature of the account (or of its identity
        with the address `identity`)."""
        from tuimail.core import compose
        from tuimail.core.identities import find

        written_as = find(self.accounts[account], identity)
        return self._ui_draft(
            account, compose.new_draft(self.accounts[account], identity=written_as)
        )

    def is_draft(self, row: MessageRow) -> bool:
        """The message lives in its account's Drafts folder (it can be reopened)."""
        return row.folder == self.special_folder(row.account, "drafts")

    def resume_draft(self, row: MessageRow) -> Draft:
        """A saved draft back in the composer: headers, body and attachments."""
        from tuimail.core import compose

        draft = self._ui_draft(row.account, compose.draft_from_message(self.raw(row)))
        draft.resumed_from, draft.kind = row, "draft"
        if draft.in_reply_to:  # a reply: sending it still marks the original answered
            draft.reply_to = self._row_with_message_id(row.account, draft.in_reply_to)
        return draft

    def _row_with_message_id(self, account: str, message_id: str) -> MessageRow | None:
        """A message of `account` with this Message-ID (as stored, with or without <>)."""
        try:
            found = self.store.conn.execute(
                "SELECT m.id FROM messages m JOIN folders f ON f.id = m.folder_id "
                "JOIN accounts a ON a.id = f.account_id "
                "WHERE a.name = ? AND m.message_id IN (?, ?) ORDER BY m.id LIMIT 1",
                (account, message_id, message_id.strip("<>")),
            ).fetchone()
            row = self.store.message(found[0]) if found else None
        except Exception:  # the store is busy: the flag is a nicety, the draft is not
            return None
        return view_row(row) if row is not None else None

    def discard_draft(self, draft: Draft) -> None:
        """The draft was sent: its copy in Drafts (server and this computer) goes."""
        from tuimail.core.drafts import DraftStore

        account = self.accounts[draft.account]
        row = draft.resumed_from
        if row is not None:
            backend = self.backend(row.account)
            backend.actions.purge([row.id])
            self._changed([row])
            backend.flush()
        if draft.message_id:
            store = DraftStore(account.name)
            for draft_id in store.find(draft.message_id):
                password = self.password_for(account) if account.protocol == "imap" else None
                store.delete(draft_id, account, password)
            drafts = self.special_folder(account.name, "drafts")
            if drafts and account.protocol == "imap":
                self.backend(account.name).refresh_folder(drafts)

    def reply_draft(self, row: MessageRow, *, all: bool = False, to_list: bool = False) -> Draft:
        """A reply (to the sender; `all`: everyone; `to_list`: the list's List-Post)."""
        from tuimail.core import compose

        try:
            core = compose.reply(
                self.raw(row), self.accounts[row.account], reply_all=all, to_list=to_list
            )
        except compose.NoListAddress as exc:
            raise ServiceError(reason="no-list", data={"why": exc.why}) from None
        draft = self._ui_draft(row.account, core, row)
        draft.kind = "reply"
        return draft

    def forward_draft(self, row: MessageRow, *, as_attachment: bool = False) -> Draft:
        """Inline (the text quoted, the attachments carried) or the whole message
        attached as message/rfc822."""
        from tuimail.core import compose

        core = compose.forward(
            self.raw(row), self.accounts[row.account], as_attachment=as_attachment
        )
        draft = self._ui_draft(row.account, core)
        draft.kind = "forward"
        return draft

    def send(self, draft: Draft, *, sending: Callable[[], None] | None = None) -> Any:
        """Put the message in the outbox (on disk first), then one submission attempt.
        Returns its outbox entry (sent, or sent to some: `refused`, `copy` say the rest,
        worded at the edge: tuimail.words.sent.sent_note); QueuedError when it waits.
        `sending` is called once the message is built and in the outbox, never for one
        refused before (a bad address, an attachment that cannot be read)."""
        from tuimail.core import compose
        from tuimail.core.outbox import Outbox

        account = self.accounts[draft.account]
        bad = compose.invalid_recipients(draft.to, draft.cc, draft.bcc)
        if bad:
            raise ServiceError(reason="not-an-address", data={"address": sanitize(bad[0])})
        core = self._core_draft(draft)
        if not (core.to or core.cc or core.bcc):
            raise ServiceError(reason="no-recipients")
        raw, sender, recipients = compose.message_bytes(core, account)
        outbox = Outbox(account.name)
        entry = outbox.enqueue(raw, sender, recipients)
        if draft.refused is not None:  # sent again (the address corrected): one copy left
            self._drop_refused(*draft.refused)
            draft.refused = None
        if sending is not None:
            sending()
        if draft.resumed_from is not None or draft.message_id:
            try:  # safe in the outbox now: the draft it was is done with
                self.discard_draft(draft)
            except Exception as exc:
                self._emit(ServiceEvent("error", draft.account, error=exc))
        self.outbox.append(draft)
        self._recount_outbox()
        self._emit(ServiceEvent("outbox", draft.account, count=len(self.outbox)))
        try:
            password = self.password_for(account)
            entry = asyncio.run(outbox.send(entry.id, account, password))
        finally:
            self.outbox.remove(draft)
            self._recount_outbox()
            self._emit(ServiceEvent("outbox", draft.account, count=len(self.outbox)))
        if entry.state not in ("sent", "partial"):
            if entry.state == "failed":
                draft.refused = (account.name, entry.id)
            raise QueuedError(entry)
        self._refresh_sent(draft.account)
        self._mark_answered(draft.reply_to)
        return entry

    def _drop_refused(self, account_name: str, entry_id: str) -> None:
        """The copy an earlier Send of this message left in the outbox, refused for good
        or "may have been sent" (opened from the outbox view), goes: the message was sent again (not if it changed state meanwhile, e.g. the
        user made `tuimail outbox --resend` send it)."""
        from tuimail.core.outbox import HELD, Outbox

        outbox = Outbox(account_name)
        try:
            if any(e.id == entry_id and e.state in HELD for e in outbox.entries()):
                outbox.discard(entry_id)  # not while it is being sent
        except Exception as exc:  # a copy left over is harmless; said, not fatal
            self._emit(ServiceEvent("error", account_name, error=exc))

    def save_draft(self, draft: Draft) -> Any:
        """Save the draft here, then to the server's Drafts folder; returns its DraftInfo
        (where it went, or why the server copy failed: tuimail.words.sent.draft_saved)."""
        from tuimail.core.drafts import DraftStore

        account = self.accounts[draft.account]
        store = DraftStore(account.name)
        core = self._core_draft(draft)
        same = store.find(draft.message_id) if draft.message_id else []
        password = self.password_for(account)
        info = store.save(core, account, password, draft_id=same[0] if same else None)
        draft.message_id = core.message_id or ""
        if draft.resumed_from is not None and not info.server_failed:
            old, draft.resumed_from = draft.resumed_from, None
            if old.uid != info.server_uid:  # the reopened copy is replaced by this one
                backend = self.backend(old.account)
                backend.actions.purge([old.id])
                backend.flush()
        if info.server_failed:
            return info
        try:
            self.backend(draft.account).refresh_folder(info.server_folder or "Drafts")
        except Exception:
            pass
        return info

    def upload_waiting_drafts(self, account_name: str) -> int:
        """Drafts saved while the server could not take them ("saved in this computer
        only") go to the server's Drafts folder now, where the app lists them; returns
        how many went. Called when the account is online; one that fails again waits for
        the next time (the others are not tried: the server is not taking them)."""
        from tuimail.core.drafts import DraftStore

        account = self.accounts.get(account_name)
        if account is None or account.protocol != "imap":
            return 0
        store = DraftStore(account.name)
        waiting = store.waiting()
        if not waiting:
            return 0
        password = self.password_for(account)
        folder, went = "", 0
        for draft_id in waiting:
            info = store.upload(draft_id, account, password)
            if info is None:
                continue
            if info.server_failed:
                break
            folder, went = info.server_folder or "Drafts", went + 1
        if went:
            self.backend(account.name).refresh_folder(folder)
        return went

    def _mark_answered(self, row: MessageRow | None) -> None:
        if row is not None:
            try:
                self._store_flag([row], "\\Answered", True)
            except Exception:
                pass


def _carried(attachments: Sequence[Any]) -> list[Any]:
    """Carried attachments with names fit for the composer's Attach list: no commas,
    sanitized, each name once."""
    out: list[Any] = []
    names: set[str] = set()
    for attachment in attachments:
        name = sanitize(attachment.filename).replace(",", "_").strip() or "attachment"
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        n = 2
        while name in names:
            name = f"{stem} ({n}){dot}{ext}"
            n += 1
        names.add(name)
        out.append(replace(attachment, filename=name))
    return out


def _split(value: str) -> list[str]:
    """The composer's To/Cc/Bcc line as entries. Not email.utils.formataddr: it raises
    on an address that is not ASCII (jörg@example.org, RFC 6532), which crashed Send."""
    from tuimail.core.compose import format_address

    return [
        format_address(name, addr) if name else addr
        for name, addr in email.utils.getaddresses([value or ""])
        if addr
    ]
