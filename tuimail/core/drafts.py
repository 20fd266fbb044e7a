"""Drafts: kept locally (always) and in the server's Drafts folder (IMAP, \\Draft).

Local layout: ``user_data_dir("tuimail")/drafts/<account>/<id>.eml`` plus ``<id>.json``
(where the server copy is, so saving again replaces it instead of piling up copies).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tuimail.core.account import Account
from tuimail.core.compose import Draft, build_message, draft_from_message, message_ids
from tuimail.core.errors import error_record
from tuimail.core.mime import spliced, utf8_headers
from tuimail.core.outbox import _legacy_name, _safe_name, data_dir, write_atomic
from tuimail.core.sanitize import sanitize
from tuimail.core.secrets import Secret


@dataclass
class DraftInfo:
    id: str
    subject: str
    to: str
    saved: float
    server_folder: str | None = None
    server_uid: int | None = None
    server_uidvalidity: int | None = None  # the UID is only meaningful under this
    server_error: str | None = None  # only in drafts saved before `server_failure`: its text
    # Why the copy to the server's Drafts folder failed, as data: {"step": "login" |
    # "store", "error": the typed error's record}; words: tuimail.words.sent.draft_saved.
    server_failure: dict | None = None

    @property
    def server_failed(self) -> bool:
        return bool(self.server_failure or self.server_error)


class DraftStore:
    def __init__(self, account_name: str, root: Path | None = None) -> None:
        drafts = (root or data_dir()) / "drafts"
        self.dir = drafts / _safe_name(account_name)
        legacy = drafts / _legacy_name(account_name)
        if not self.dir.exists() and legacy.is_dir():
            self.dir = legacy  # drafts an older tuimail kept there stay found

    def save(
        self,
        draft: Draft,
        account: Account,
        password: Secret | None = None,
        draft_id: str | None = None,
    ) -> DraftInfo:
        """Save locally first, then (IMAP with a password) to the Drafts folder.

        The draft keeps its Message-ID across saves. Returns the draft's id; a failed
        server copy is recorded in `server_failure`, the local one is always there.
        """
        draft_id = draft_id or time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(4)
        msg = build_message(draft, account, include_bcc=True, splice=True)
        draft.message_id = message_ids(str(msg["Message-ID"]))[0]
        raw = spliced.written_else(
            msg,
            lambda: utf8_headers.message_bytes(build_message(draft, account, include_bcc=True)),
        )
        previous = self._info(draft_id)
        info = DraftInfo(
            id=draft_id,
            subject=sanitize(draft.subject),
            to=sanitize(", ".join(draft.to)),
            saved=time.time(),
        )
        write_atomic(self.dir / f"{draft_id}.eml", raw)
        self._write_info(info)
        if password is not None and account.protocol == "imap":
            from tuimail.core.sent_copy import OldCopy, delete_uid

            old = None
            if previous and previous.server_folder and previous.server_uid:
                old = OldCopy(
                    previous.server_folder,
                    previous.server_uid,
                    previous.server_uidvalidity,
                    draft.message_id or "",
                )
            # The old copy is replaced in the APPEND's own session (where the new copy's
            # UID means something); only one left in another folder is removed after.
            if self._copy_to_server(info, raw, account, password, old):
                if old is not None and info.server_folder != old.folder:
                    with contextlib.suppress(Exception):  # an old copy left is harmless
                        delete_uid(
                            account,
                            password,
                            old.folder,
                            old.uid,
                            old.uidvalidity,
                            message_id=old.message_id,
                        )
            self._write_info(info)
        return info

    def _copy_to_server(
        self, info: DraftInfo, raw: bytes, account: Account, password: Secret, old=None
    ) -> bool:
        """APPEND `raw` to the server's Drafts (replacing `old`, a sent_copy.OldCopy, where
        safe); `info` records where, or why not."""
        from tuimail.core.sent_copy import AppendError, append_copy

        try:
            result = append_copy(account, password, raw, "drafts", replace=old)
        except AppendError as exc:
            error = error_record(exc.error) if exc.error is not None else None
            info.server_failure = {"step": exc.step, "error": error}
            return False
        info.server_folder, info.server_uid = result.folder, result.uid
        info.server_uidvalidity = result.uidvalidity
        info.server_failure = info.server_error = None
        return True

    def waiting(self) -> list[str]:
        """The drafts kept on this computer only: their server copy failed when they were
        saved (offline, the server refused it)."""
        return [info.id for info in self.list() if info.server_failed]

    def upload(self, draft_id: str, account: Account, password: Secret) -> DraftInfo | None:
        """Copy a draft kept on this computer only to the server's Drafts now, byte for
        byte as saved; its info says where, or why it failed again (then it keeps
        waiting). None when the draft is gone (sent or deleted meanwhile)."""
        info = self._info(draft_id)
        try:
            raw = (self.dir / f"{draft_id}.eml").read_bytes()
        except FileNotFoundError:
            return None
        if info is None or not info.server_failed or account.protocol != "imap":
            return info
        self._copy_to_server(info, raw, account, password)
        self._write_info(info)
        return info

    def list(self) -> list[DraftInfo]:
        if not self.dir.is_dir():
            return []
        out = []
        for eml in self.dir.glob("*.eml"):
            info = self._info(eml.stem)
            if info is None:
                d = draft_from_message(eml.read_bytes())
                info = DraftInfo(eml.stem, sanitize(d.subject), sanitize(", ".join(d.to)), 0.0)
            out.append(info)
        return sorted(out, key=lambda i: i.saved, reverse=True)

    def open(self, draft_id: str) -> Draft:
        return draft_from_message((self.dir / f"{draft_id}.eml").read_bytes())

    def delete(
        self, draft_id: str, account: Account | None = None, password: Secret | None = None
    ) -> None:
        """Remove a draft (after it was sent), with its server copy when possible."""
        info = self._info(draft_id)
        if info and info.server_folder and info.server_uid and account and password:
            from tuimail.core.sent_copy import delete_uid

            with contextlib.suppress(Exception):  # an old copy left is harmless
                delete_uid(
                    account,
                    password,
                    info.server_folder,
                    info.server_uid,
                    info.server_uidvalidity,
                    message_id=self.open(draft_id).message_id or "",
                )
        for suffix in (".eml", ".json"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.dir / f"{draft_id}{suffix}")

    def find(self, message_id: str) -> list[str]:
        """The ids of the local drafts with this Message-ID (one draft saved again and again
        keeps its Message-ID)."""
        wanted = message_ids(message_id)
        if not wanted or not self.dir.is_dir():
            return []
        out = []
        for eml in sorted(self.dir.glob("*.eml")):
            try:
                found = draft_from_message(eml.read_bytes()).message_id
            except (OSError, ValueError):
                continue
            if found == wanted[0]:
                out.append(eml.stem)
        return out

    def _info(self, draft_id: str) -> DraftInfo | None:
        try:
            data = json.loads((self.dir / f"{draft_id}.json").read_text("utf-8"))
            return DraftInfo(
                **{k: v for k, v in data.items() if k in DraftInfo.__dataclass_fields__}
            )
        except (FileNotFoundError, ValueError, TypeError):
            return None

    def _write_info(self, info: DraftInfo) -> None:
        data = json.dumps(asdict(info), ensure_ascii=False).encode("utf-8")
        write_atomic(self.dir / f"{info.id}.json", data)
