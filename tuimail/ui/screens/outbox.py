"""The outbox view: every message not sent yet, with its recipients, subject, state and
why it waits, in words (a refusal in the server's words, sanitised, as plain text).

Keys: j/k (and the arrows) move, Enter opens the message in the composer to fix and send
again (the held copy leaves the outbox once the new one is queued), r sends it again as
it is, D removes it after asking, q/Esc go back. A click highlights, a second click on
the highlighted row (or a double click) opens it. A message being sent right now (by
this app or another tuimail process) is never removed: the outbox's lock says so.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tuimail.core.outbox import HELD
from tuimail.core.sanitize import sanitize
from tuimail.ui.plain import notify, plain
from tuimail.ui.screens.list_picker import ListKeys
from tuimail.ui.widgets.key_footer import KeyFooter
from tuimail.words.outbox import outbox_reason, refused_recipients, state_label

EMPTY = "The outbox is empty: every message was sent."


def entry_text(entry: Any, configured: bool = True) -> Text:
    """One entry as plain text (never markup): recipients and subject, (its account when
    no longer `configured`), then its state and why, then for a held one what the user
    can do."""
    to = ", ".join(entry.recipients or list(entry.refused) or entry.delivered)
    text = Text()
    text.append(sanitize(f"To {to or '(recipients not recorded)'}"), style="bold")
    text.append("  ")
    text.append(sanitize(entry.subject or "(no subject)"))
    state = state_label(entry)
    why = outbox_reason(entry)
    if entry.state == "failed" and entry.refused and not why:
        why = refused_recipients(entry)
    if not configured:
        text.append("\n  ")
        text.append(sanitize(f"its account {entry.account!r} is no longer configured"))
    text.append("\n  ")
    held = entry.state in HELD
    text.append(state, style="bold red" if entry.state == "failed" else "bold")
    if why:
        text.append(": ")
        text.append(sanitize(why))
    if entry.state == "maybe_sent":
        text.append("\n  check the recipient got it before sending it again (r)")
    elif held:
        text.append("\n  Enter: fix and send again; D: remove")
    return text


class OutboxList(OptionList):
    """A click highlights a message (then r or D in the footer act on it); a click on
    the highlighted one opens it, as Enter does."""

    async def _on_click(self, event: events.Click) -> None:
        clicked: int | None = event.style.meta.get("option")
        if clicked is None or self._options[clicked].disabled:
            return
        if clicked == self.highlighted:
            self.action_select()
        else:
            self.highlighted = clicked


class OutboxScreen(ListKeys, Screen[None]):
    """The outbox of every account; the app's service does the work (in a worker)."""

    BINDINGS = [
        Binding("j,down", "down", "Down", show=False, id="outbox.down"),
        Binding("k,up", "up", "Up", show=False, id="outbox.up"),
        Binding("enter", "edit", "Fix & send", id="outbox.edit", priority=True),
        Binding("r", "resend", "Resend as is", id="outbox.resend"),
        Binding("D", "remove", "Remove", id="outbox.remove"),
        Binding("q,escape", "back", "Back", id="outbox.back"),
    ]

    DEFAULT_CSS = """
    OutboxScreen #outbox-title { padding: 0 1; background: $panel; width: 100%; }
    OutboxScreen #outbox-list { height: 1fr; border: none; }
    OutboxScreen #outbox-list > .option-list--option { padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Label(plain("Outbox"), id="outbox-title")
        yield OutboxList(id="outbox-list")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_screen_resume(self) -> None:
        self.reload()  # back from the composer or a question: what changed meanwhile

    # -- the list ---------------------------------------------------------------------

    def reload(self, keep: str | None = None) -> None:
        """Read the outboxes again (in a worker), keeping the highlight on `keep`'s id
        (or the row it was on)."""
        service = self.app.service  # type: ignore[attr-defined]
        if service is None:
            return
        current = self.current()
        keep = keep or (current.id if current is not None else None)
        self.app.work(service.outbox_entries, "outbox-list", lambda e: self.show(e, keep))  # type: ignore[attr-defined]

    def show(self, entries: list[Any], keep: str | None = None) -> None:
        if not self.is_attached:
            return
        options = self.query_one(OptionList)
        at = options.highlighted or 0
        self.entries = list(entries)
        options.clear_options()
        held = sum(1 for e in self.entries if e.state in HELD)
        waiting = len(self.entries) - held
        need = "needs" if held == 1 else "need"
        title = f"Outbox — {waiting} waiting, {held} {need} you" if self.entries else "Outbox"
        self.query_one("#outbox-title", Label).update(plain(title))
        if not self.entries:
            options.add_options([Option(plain(EMPTY), id="empty", disabled=True)])
            return
        accounts = self.app.service.accounts  # type: ignore[attr-defined]
        options.add_options(
            [
                Option(entry_text(e, e.account in accounts), id=f"{e.account}\0{e.id}")
                for e in self.entries
            ]
        )
        ids = [e.id for e in self.entries]
        options.highlighted = ids.index(keep) if keep in ids else min(at, len(ids) - 1)

    def current(self) -> Any | None:
        if not self.is_mounted or not self.entries:
            return None
        index = self.query_one(OptionList).highlighted
        if index is None or not 0 <= index < len(self.entries):
            return None
        return self.entries[index]

    # -- actions ----------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_edit()

    def _unconfigured(self, entry: Any) -> bool:
        """A message of an account no longer configured: said so (it can only be
        removed here, or sent once an account of that name exists again)."""
        if entry.account in self.app.service.accounts:  # type: ignore[attr-defined]
            return False
        notify(
            self.app,
            f"Its account {entry.account!r} is no longer configured: add an account of that "
            "name again to send it, or remove it (D).",
            severity="warning",
        )
        return True

    def action_edit(self) -> None:
        entry = self.current()
        if entry is None or self._unconfigured(entry):
            return
        if entry.state not in HELD:  # it goes by itself: a corrected copy would be a second
            self.notify("This message is sent by itself: wait, or remove it (D) to write it again.")
            return
        if not entry.recipients and not entry.refused:
            self.notify("This message has no recipients recorded: remove it (D).")
            return
        app: Any = self.app
        service = app.service

        def opened(draft: Any) -> None:
            app.open_composer(draft)

        app.work(lambda: service.outbox_draft(entry.account, entry.id), "outbox-edit", opened)

    def action_resend(self) -> None:
        entry = self.current()
        if entry is None or self._unconfigured(entry):
            return
        if entry.state == "sending":
            self.notify("This message is being sent right now.")
            return
        if not entry.recipients:
            self.notify("This message has nobody left to send it to: remove it (D).")
            return
        app: Any = self.app
        service = app.service

        def done(new: Any) -> None:
            from tuimail.words.sent import sent_needs_attention, sent_note

            if new.state in ("sent", "partial"):
                warn = sent_needs_attention(new)
                notify(app, sent_note(new), severity="warning" if warn else "information")
            else:
                why = outbox_reason(new)
                said = f"Not sent: {state_label(new)}" + (f": {why}" if why else "")
                notify(app, said + ".", severity="warning")
            self.reload()

        self.notify("Sending…", timeout=2)
        app.work(lambda: service.resend_from_outbox(entry.account, entry.id), "send", done)

    def action_remove(self) -> None:
        entry = self.current()
        if entry is None:
            return
        from tuimail.ui.screens.dialogs import ConfirmDialog

        app: Any = self.app
        service = app.service
        to = ", ".join(entry.recipients or list(entry.refused)) or "nobody recorded"
        question = sanitize(
            f"Remove this message from the outbox? It will not be sent and cannot be "
            f"recovered.\nTo {to}: {entry.subject or '(no subject)'}"
        )

        def removed(done: bool) -> None:
            if done:
                notify(app, "Removed from the outbox.")
            else:
                notify(app, "Not removed: it is being sent right now.", severity="warning")
            self.reload()

        def answered(yes: bool | None) -> None:
            if yes:
                app.work(
                    lambda: service.remove_from_outbox(entry.account, entry.id),
                    "outbox-remove",
                    removed,
                )

        app.push_screen(ConfirmDialog(question), answered)
