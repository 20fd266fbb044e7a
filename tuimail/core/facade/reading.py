"""Reading: a message rendered for the reader, its raw source, attachments, saving."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tuimail.core.facade.sources import view_row
from tuimail.core.facade.views import (
    MessageRow,
    ReaderAttachment,
    ReaderBlock,
    ReaderView,
    ServiceError,
)
from tuimail.core.runtime import ServiceEvent

# -- rendering ------------------------------------------------------------------------


def render(raw: bytes) -> ReaderView:
    """The reader's view of a message, from tuimail.core.mime (sanitized there)."""
    from tuimail.core.mime import parse_message, render_message

    rendered = render_message(parse_message(raw))
    blocks = [ReaderBlock(b.kind, "\n".join(b.lines)) for b in rendered.blocks]
    attachments = [
        ReaderAttachment(a.index, a.filename, a.content_type, a.size) for a in rendered.attachments
    ]
    subject = next((v for k, v in rendered.headers if k.lower() == "subject"), "")
    links = list(rendered.links)
    for block in blocks:  # plain-text URLs are numbered too
        for match in _LINK.finditer(block.text):
            if match.group() not in links:
                links.append(match.group())
    view = ReaderView(list(rendered.headers), blocks, links, attachments, subject)
    for said in rendered.notes:  # data (mime.notes), worded by the reader
        view.blocks.append(ReaderBlock("mime-note", "", note=said))
    return view


_LINK = re.compile(r"(?:https?://|mailto:)[^\s<>\"')\]]+")


class Reading:
    """MailService's reading methods (the facade's state: store, backends, _emit)."""

    # reading
    def raw(self, row: MessageRow) -> bytes:
        return self.backend(row.account).fetch_body(row.id)

    def read(self, row: MessageRow, *, mark_seen: bool = True) -> ReaderView:
        """The message, rendered; it is marked read unless `mark_seen` is false (a
        preview: the UI marks it later, see [ui] mark_read_delay)."""
        view = render(self.raw(row))
        if row.note:  # the stored note's kind (store.headers NOTE_*), worded at the edge
            view.blocks.append(ReaderBlock("stored-note", row.note))
        if mark_seen and not row.seen:
            try:
                self.set_seen([row], True)
            except Exception as exc:  # reading works offline; the flag waits
                self._emit(ServiceEvent("error", row.account, row.folder, error=exc))
        return view

    def new_messages(self, account: str, folder: str, count: int, limit: int = 10) -> list[Any]:
        """The `count` messages that just arrived in a folder (the newest by UID, at most
        `limit`), as tuimail.core.hooks.NewMessage for notifications and hooks."""
        from tuimail.core.hooks import from_rows

        fid = self.store.folder_id(account, folder or "INBOX")
        if fid is None or count <= 0:
            return []
        return from_rows(self.store.message_rows(fid, 0, min(count, limit), "uid"), limit)

    def reread(self, rows: Sequence[MessageRow]) -> list[MessageRow]:
        """`rows` as the store has them now (flags, folder); rows gone are dropped."""
        found = {r.id: r for r in self.store.messages_by_ids([r.id for r in rows if r.id >= 0])}
        return [view_row(found[r.id]) for r in rows if r.id in found]

    def thread_rows(self, row: MessageRow) -> list[MessageRow]:
        """The messages of `row`'s conversation in its account (oldest first)."""
        if row.id < 0:
            return []
        return [view_row(r) for r in self.store.thread(row.id)]

    def raws(self, rows: Sequence[MessageRow]) -> list[bytes]:
        """The raw messages (fetched when not cached), in order."""
        return [self.raw(r) for r in rows if r.id >= 0]

    def save_eml(self, rows: Sequence[MessageRow], target: str | Path) -> list[Path]:
        """Save messages as .eml: one to a file (or into a directory), several into a
        directory, named after their subjects; existing files are never overwritten."""
        from tuimail.core.message_files import save_eml

        rows = [r for r in rows if r.id >= 0]
        messages = [(r.subject, raw) for r, raw in zip(rows, self.raws(rows), strict=True)]
        try:
            return save_eml(messages, target)
        except OSError as exc:
            data = {"path": str(target), "detail": exc.strerror or type(exc).__name__}
            raise ServiceError(reason="save-messages", data=data) from None

    def delivery_report(
        self, row: MessageRow, *, check_dkim: bool = False, nameserver: str | None = None
    ):
        """The delivery report (tuimail.core.report) of a message; with `check_dkim`, also
        tuimail's own DKIM check, asking DNS (the system's resolver or `nameserver`)."""
        from tuimail.core.report import build_report
        from tuimail.core.report import check_dkim as own_check

        account = self.accounts[row.account]
        raw = self.raw(row)
        hosts = (account.domain, account.incoming.host, account.outgoing.host)
        report = build_report(raw, own_domains=tuple(h.lower() for h in hosts if h))
        if check_dkim:
            from tuimail.core.connect import account_timeout
            from tuimail.core.discovery.resolver import Resolver
            from tuimail.core.report.dkim_check import dns_timeout

            resolver = Resolver(nameserver, dns_timeout(account_timeout(account)))
            report.dkim_checks = own_check(raw, report, resolver)
        return report

    def raw_source(self, row: MessageRow) -> str:
        """The whole message as text, sanitized."""
        from tuimail.core.mime import raw_source

        return raw_source(self.raw(row))

    def save_attachment(self, row: MessageRow, index: int, directory: str | Path) -> Path:
        from tuimail.core.mime import AttachmentError, parse_message, save_attachment

        directory = Path(directory).expanduser()
        try:
            directory.mkdir(parents=True, exist_ok=True)
            return save_attachment(parse_message(self.raw(row)), index, directory)
        except AttachmentError as exc:
            raise ServiceError(reason="attachment", data={"step": "save", "error": exc}) from None
        except OSError as exc:
            error = AttachmentError("make-folder", path=str(directory), detail=exc.strerror or "")
            raise ServiceError(reason="attachment", data={"step": "save", "error": error}) from None

    def open_attachment(self, row: MessageRow, index: int):
        """Save into a private temporary directory and open with a viewer if there is a
        display; returns what happened (mime OpenResult, worded by tuimail.words.attachments.opened)."""
        from tuimail.core.mime import AttachmentError, open_attachment, parse_message
        from tuimail.core.private import private_temp_dir

        directory = private_temp_dir("tuimail-open-")  # removed when tuimail exits
        try:
            result = open_attachment(parse_message(self.raw(row)), index, directory)
        except AttachmentError as exc:
            raise ServiceError(reason="attachment", data={"step": "open", "error": exc}) from None
        return result

    def view_attachment(self, row: MessageRow, index: int):
        """How to show attachment `index` (tuimail.core.attachment_view.ViewPlan): its
        text for the reader, a mailcap pager's output, or a command to run."""
        from tuimail.core.attachment_view import plan_view
        from tuimail.core.mime import parse_message
        from tuimail.core.mime.attachments import has_display
        from tuimail.core.private import private_temp_dir

        parsed = parse_message(self.raw(row))
        att = next((a for a in parsed.attachments if a.index == index), None)
        if att is None:
            from tuimail.core.mime import AttachmentError

            error = AttachmentError("no-such", index=index)
            raise ServiceError(reason="attachment", data={"step": "open", "error": error})
        directory = Path(private_temp_dir("tuimail-view-"))  # removed when tuimail exits
        return plan_view(
            att.filename, att.content_type, att.payload, directory, display=has_display()
        )

    def html_as_text(self, row: MessageRow) -> str | None:
        """The HTML version of a message that also has a plain one, as text."""
        from tuimail.core.attachment_view import html_alternative

        return html_alternative(self.raw(row))
