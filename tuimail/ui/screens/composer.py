"""The composer: To/Cc/Bcc with address completion, Subject, body, attachments; send or save."""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import tempfile

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widgets import Footer, Input, Label, Select, TextArea

from tuimail.core import draft_recovery
from tuimail.core.addressbook import fold
from tuimail.core.compose import Draft as CoreDraft
from tuimail.core.compose import (
    EditorError,
    editor_template,
    invalid_recipients,
    parse_editor_text,
    split_recipients,
)
from tuimail.core.identities import swap_signature
from tuimail.core.service import Draft
from tuimail.ui.handover import handed_over
from tuimail.ui.plain import notify, plain
from tuimail.ui.screens.dialogs import ChoiceDialog, ConfirmDialog
from tuimail.words.compose import editor_words


def _replace_last(head: str, sep: str, item: str) -> str:
    """A comma-separated list with its last item replaced by `item`."""
    return head + sep + (" " if sep else "") + item


class AddressSuggester(Suggester):
    """Completes the last address of a comma-separated list from the cache. One lookup
    runs at a time (each may run the address_book_command, allowed seconds); the
    values typed meanwhile wait, and only the latest is looked up (latest wins)."""

    def __init__(self, lookup) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.lookup = lookup
        self._latest: str | None = None  # the value asked for last (the input's)
        self._one = asyncio.Lock()

    async def get_suggestion(self, value: str) -> str | None:
        self._latest = value
        head, sep, last = value.rpartition(",")
        last = last.lstrip()
        if len(last) < 2:
            return None
        typed = fold(last)
        async with self._one:
            if value != self._latest:  # typed on meanwhile: that value's lookup wins
                return None
            # off the UI thread: an address_book_command can take seconds (and the
            # store's scan of new mail some time); the keys typed meanwhile still arrive
            found = await asyncio.to_thread(self.lookup, last)
        for candidate in found:
            # "jose" -> "José Müller <jose@...>": compared without case or accents.
            if fold(candidate).startswith(typed) and candidate != last:
                return _replace_last(head, sep, candidate)
        return None


class PathSuggester(Suggester):
    """Completes the last of the comma-separated attachment paths from the file system
    (~ expanded, directories end in /, hidden files only when asked for with a dot)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        head, sep, last = value.rpartition(",")
        typed = last.lstrip()
        if not typed:
            return None
        directory, slash, prefix = typed.rpartition("/")
        shown = directory + slash  # "" (relative), "/", "~/", "docs/" ...
        base = os.path.expanduser(shown or ".")
        try:
            names = sorted(os.listdir(base))
        except OSError:
            return None
        for name in names:
            if not name.startswith(prefix) or name == prefix:
                continue
            if not name.isprintable() or (name.startswith(".") and not prefix.startswith(".")):
                continue
            suffix = "/" if os.path.isdir(os.path.join(base, name)) else ""
            return _replace_last(head, sep, shown + name + suffix)
        return None


def writing_position(text: str) -> tuple[str, tuple[int, int]]:
    """Where the person starts typing in a reply, on a line of its own: below the quote
    (bottom-posting, as mutt and aerc users expect), before the signature. Anything else
    (a forward begins with a blank line above the forwarded message; a mailto: body) starts
    at the top. Returns the body (a blank line added where needed) and the cursor."""
    lines = text.split("\n")
    quoted = [i for i, line in enumerate(lines) if line.startswith(">")]
    if quoted:
        at = quoted[-1] + 1
        if at < len(lines) and lines[at] == "" and (at + 1 >= len(lines) or lines[at + 1] == ""):
            return text, (at, 0)
        lines[at:at] = ["", ""] if at < len(lines) and lines[at] else [""]
        if at < len(lines) and lines[at] == "" and at + 1 < len(lines) and lines[at + 1] != "":
            lines.insert(at + 1, "")
        return "\n".join(lines), (at, 0)
    return text, (0, 0)  # a forward starts with a blank line of its own; a link's text stays


SHORT_ROWS = 30  # below this many rows the header fields have no blank line between them
RECOVERY_EVERY = 2.0  # seconds between writes of unsaved changes (core.draft_recovery)


class ComposerScreen(Screen[None]):
    CSS_PATH = "composer.tcss"
    BINDINGS = [
        Binding("ctrl+s", "send", "Send", id="composer.send", priority=True),
        Binding("ctrl+d", "save_draft", "Save draft", id="composer.save_draft", priority=True),
        Binding("ctrl+e", "editor", "$EDITOR", id="composer.editor", priority=True),
        Binding("escape", "close", "Close", id="composer.close"),
        # Priority: handled in typing order, so text typed right after Tab (fast, or
        # arriving in one burst over SSH) lands in the next field, not the one left.
        Binding("tab", "app.focus_next", show=False, priority=True, id="composer.next"),
        Binding(
            "shift+tab", "app.focus_previous", show=False, priority=True, id="composer.previous"
        ),
    ]

    def __init__(
        self,
        draft: Draft,
        lookup=None,
        senders: list[tuple[str, tuple[str, str]]] | None = None,
        signatures: dict[tuple[str, str], str | None] | None = None,
    ) -> None:
        """`senders`: (label, (account name, address)) of every identity of every
        account; a choice is shown when there is more than one. `signatures`: each
        identity's signature, swapped in the text when another identity is chosen."""
        super().__init__()
        self.draft = draft
        self.lookup = lookup or (lambda prefix: [])
        self.senders = senders or []
        self.signatures = signatures or {}
        self._sender = self._initial_sender()
        self._recovery_key = draft_recovery.new_key()
        self._kept: tuple | None = None  # the fields last written for crash recovery

    def _initial_sender(self) -> tuple[str, str] | None:
        """The (account, address) the draft is written as, among the choices."""
        d = self.draft
        values = [value for _label, value in self.senders]
        wanted = (d.account, (d.identity or "").lower())
        for value in values:
            if (value[0], value[1].lower()) == wanted:
                return value
        for value in values:  # the account's own address comes first
            if value[0] == d.account:
                return value
        return values[0] if values else None

    def compose(self) -> ComposeResult:
        d = self.draft
        suggester = AddressSuggester(self.lookup)
        with Vertical(id="composer"):
            if len(self.senders) > 1:
                with Horizontal(classes="field"):
                    yield Label("From:", classes="field-label")
                    yield Select(
                        self.senders,
                        value=self._sender,
                        allow_blank=False,
                        id="compose-from",
                        compact=True,
                    )
            for name, value in (("To", d.to), ("Cc", d.cc), ("Bcc", d.bcc)):
                with Horizontal(classes="field"):
                    yield Label(plain(f"{name}:"), classes="field-label")
                    yield Input(
                        value, id=f"compose-{name.lower()}", suggester=suggester, compact=True
                    )
            with Horizontal(classes="field"):
                yield Label("Subject:", classes="field-label")
                yield Input(d.subject, id="compose-subject", compact=True)
            with Horizontal(classes="field"):
                yield Label("Attach:", classes="field-label")
                yield Input(
                    ", ".join(d.attachments),
                    placeholder="paths, separated by commas (→ completes)",
                    id="compose-attach",
                    suggester=PathSuggester(),
                    compact=True,
                )
            yield TextArea(d.body, id="compose-body", soft_wrap=True)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Compose"
        self._saved = self._fields()
        self.set_interval(RECOVERY_EVERY, self.keep_for_recovery, name="recovery")
        if self.draft.to:
            body = self.query_one("#compose-body", TextArea)
            body.focus()
            if getattr(self.draft, "kind", "new") in ("reply", "forward"):
                text, where = writing_position(body.text)
                if text != body.text:
                    body.text = text
                    self._saved = self._fields()  # only layout: nothing typed yet
            else:
                where = (0, 0)
            body.move_cursor(where)
        else:
            self.query_one("#compose-to", Input).focus()

    def on_resize(self, event) -> None:
        self.query_one("#composer").set_class(event.size.height < SHORT_ROWS, "-short")

    def on_select_changed(self, event: Select.Changed) -> None:
        """Another identity chosen as From: its signature replaces the one in the text."""
        if event.select.id != "compose-from" or not isinstance(event.value, tuple):
            return
        old, self._sender = self._sender, event.value
        if old is None or old == event.value:
            return
        body = self.query_one("#compose-body", TextArea)
        text = swap_signature(body.text, self.signatures.get(old), self.signatures.get(event.value))
        if text != body.text:
            body.text = text

    def collect(self) -> Draft:
        d = self.draft
        if len(self.senders) > 1:
            chosen = self.query_one("#compose-from", Select).value
            if isinstance(chosen, tuple):
                d.account, d.identity = chosen
        d.to = self.query_one("#compose-to", Input).value
        d.cc = self.query_one("#compose-cc", Input).value
        d.bcc = self.query_one("#compose-bcc", Input).value
        d.subject = self.query_one("#compose-subject", Input).value
        d.body = self.query_one("#compose-body", TextArea).text
        attach = self.query_one("#compose-attach", Input).value
        d.attachments = [p.strip() for p in attach.split(",") if p.strip()]
        return d

    def _fields(self) -> tuple:
        d = self.collect()
        return (d.account, d.identity, d.to, d.cc, d.bcc, d.subject, d.body, tuple(d.attachments))

    @property
    def changed(self) -> bool:
        """Anything typed since the composer opened or the draft was last saved."""
        return self._fields() != self._saved

    def mark_kept(self) -> None:
        """The message as it is now is safe elsewhere (outbox): closing needs no question."""
        self._saved = self._fields()
        self.forget_recovery()

    def keep_for_recovery(self) -> None:
        """Unsaved changes are written to disk (core.draft_recovery) so that a crash or a
        kill loses nothing; with none, what was written is removed."""
        fields = self._fields()
        if fields == self._saved:
            if self._kept is not None:
                self.forget_recovery()
            return
        if fields == self._kept:
            return
        try:
            draft_recovery.keep(self._recovery_key, self.draft)
        except OSError:
            return  # tried again at the next tick
        self._kept = fields

    def forget_recovery(self) -> None:
        """Safe elsewhere (sent, in the outbox, saved as a draft) or discarded."""
        draft_recovery.forget(self._recovery_key)
        self._kept = None

    def dismiss(self, result=None):
        self.forget_recovery()
        return super().dismiss(result)

    _subject_ok = False  # the user said once that no subject is fine

    def action_send(self) -> None:
        """Send, after every recipient is an address (the bad one named, nothing sent,
        the composer stays) and, once, a question when there is no subject."""
        draft = self.collect()
        for name in ("to", "cc", "bcc"):
            bad = invalid_recipients(getattr(draft, name))
            if bad:
                notify(
                    self,
                    f"Not an e-mail address in {name.title()}: {bad[0]}",
                    title="Nothing was sent",
                    severity="error",
                    timeout=8,
                )
                self.query_one(f"#compose-{name}", Input).focus()
                return
        if not (draft.to.strip() or draft.cc.strip() or draft.bcc.strip()):
            self.notify("Add at least one recipient.", severity="error")
            self.query_one("#compose-to", Input).focus()
            return
        if not draft.subject.strip() and not self._subject_ok:

            def answer(yes: bool | None) -> None:
                if yes:
                    self._subject_ok = True
                    self.app.send_draft(self, self.collect())
                else:
                    self.query_one("#compose-subject", Input).focus()

            self.app.push_screen(ConfirmDialog("Send this message without a subject?"), answer)
            return
        self.app.send_draft(self, draft)

    def action_save_draft(self) -> None:
        self.app.save_draft(self.collect(), then=self.forget_recovery)
        self._saved = self._fields()

    def action_close(self) -> None:
        """Close; a message with unsaved changes is never thrown away without asking."""
        if not self.changed:
            self.dismiss(None)
            return

        def answer(choice: str | None) -> None:
            if choice == "save":
                self.action_save_draft()
                self.dismiss(None)
            elif choice == "discard":
                self.dismiss(None)

        self.app.push_screen(
            ChoiceDialog(
                "This message has not been sent. Keep it?",
                [
                    ("save", "Save draft", "s"),
                    ("discard", "Discard", "d"),
                    ("edit", "Keep editing", "k"),
                ],
            ),
            answer,
        )

    def ask_before_quit(self, quit_now) -> None:
        """Quitting (Ctrl+Q) with unsaved changes asks as closing does; after "Save
        draft" `quit_now` runs only once the draft is saved (a failed save is told and
        the composer stays, so nothing is lost). Ctrl+Q again while the question is
        open asks nothing more: one question at a time, never a stack of them."""
        if self._quit_question is not None and self._quit_question in self.app.screen_stack:
            return

        def answer(choice: str | None) -> None:
            self._quit_question = None
            if choice == "save":
                self.app.save_draft(
                    self.collect(), then=lambda: (self.forget_recovery(), quit_now())
                )
            elif choice == "discard":
                quit_now()

        self._quit_question = ChoiceDialog(
            "This message has not been sent. Keep it before quitting?",
            [
                ("save", "Save draft and quit", "s"),
                ("discard", "Discard and quit", "d"),
                ("edit", "Keep editing", "k"),
            ],
        )
        self.app.push_screen(self._quit_question, answer)

    _quit_question: ChoiceDialog | None = None  # the open "keep it before quitting?" question

    _editor_text: str | None = None  # text the editor gave back that could not be read

    def action_editor(self) -> None:
        """Edit headers (To, Cc, Bcc, Subject) and body in $EDITOR, as mutt does (the app
        is suspended meanwhile). Text that cannot be read back is kept for the next try."""
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        d = self.collect()
        text = self._editor_text or editor_template(
            CoreDraft(
                to=split_recipients(d.to),
                cc=split_recipients(d.cc),
                bcc=split_recipients(d.bcc),
                subject=d.subject,
                body=d.body,
            ),
            fields=("To", "Cc", "Bcc", "Subject"),
        )
        if not text.endswith("\n"):
            text += "\n"
        fd, path = tempfile.mkstemp(prefix="tuimail-", suffix=".eml")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            with handed_over(self.app):
                subprocess.run([*shlex.split(editor), path], check=False)
            with open(path, encoding="utf-8", errors="replace") as handle:
                edited = handle.read()
        except Exception as exc:  # no terminal to suspend (tests, web)
            notify(self, f"Could not open the editor: {exc}", severity="error")
            return
        finally:
            os.unlink(path)
        self.apply_editor_text(edited)

    def apply_editor_text(self, edited: str) -> None:
        try:
            core = parse_editor_text(edited)
        except EditorError as exc:
            self._editor_text = edited  # nothing typed is lost: Ctrl+E shows it again
            notify(
                self,
                f"The edited message was not taken: {editor_words(exc)}. Ctrl+E opens it again.",
                severity="error",
                timeout=10,
            )
            return
        self._editor_text = None
        self.query_one("#compose-to", Input).value = ", ".join(core.to)
        self.query_one("#compose-cc", Input).value = ", ".join(core.cc)
        self.query_one("#compose-bcc", Input).value = ", ".join(core.bcc)
        self.query_one("#compose-subject", Input).value = core.subject
        self.query_one("#compose-body", TextArea).text = core.body
