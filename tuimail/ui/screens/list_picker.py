"""The base of the dialogs that are one list to pick from (folders, links, attachments):
their down/up keys (bound by each screen, under its own key ids) move the highlight of the
screen's OptionList (ListKeys: also the outbox view's)."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen
from textual.widgets import OptionList

ResultType = TypeVar("ResultType")


class ListKeys:
    """For a screen with one OptionList: action_down / action_up move its highlight."""

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()


class ListPicker(ListKeys, ModalScreen[ResultType]):
    """A modal screen with one OptionList to pick from."""
