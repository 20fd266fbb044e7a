"""The folder tree: accounts, special folders first, unread counts, a unified inbox."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree

from tuimail.core.sanitize import sanitize
from tuimail.core.service import UNIFIED, FolderInfo

# Single-width glyphs only: emoji widths differ between terminals.
ICONS = {
    "inbox": "▸",
    "drafts": "✎",
    "sent": "↗",
    "archive": "▤",
    "junk": "!",
    "trash": "✗",
}


class FolderTree(Tree[tuple[str, str]]):
    """Node data is (account, folder); the unified inbox is (UNIFIED, "INBOX")."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="folders.down"),
        Binding("k", "cursor_up", "Up", show=False, id="folders.up"),
    ]

    class FolderChosen(Message):
        def __init__(self, account: str, folder: str) -> None:
            super().__init__()
            self.account = account
            self.folder = folder

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Mail", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._folders: list[FolderInfo] = []

    def set_folders(self, folders: list[FolderInfo], selected: tuple[str, str] | None) -> None:
        self._folders = folders
        self.clear()
        accounts: dict[str, list[FolderInfo]] = {}
        for folder in folders:
            accounts.setdefault(folder.account, []).append(folder)
        select_line = None
        if len(accounts) > 1:
            unread = sum(f.unread for f in folders if f.special_use == "inbox")
            node = self.root.add_leaf(_label("All inboxes", unread, "▸"), data=(UNIFIED, "INBOX"))
            if selected == (UNIFIED, "INBOX"):
                select_line = node
        for account, items in accounts.items():
            branch = self.root.add(sanitize(account), data=(account, ""), expand=True)
            for folder in items:
                depth = folder.name.count("/") if not folder.special_use else 0
                node = branch.add_leaf(
                    "  " * depth
                    + _label(folder.label, folder.unread, ICONS.get(folder.special_use or "", "·")),
                    data=(folder.account, folder.name),
                )
                if selected == (folder.account, folder.name):
                    select_line = node
        if select_line is not None:
            self.move_cursor(select_line)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        data = event.node.data
        if data and data[1]:
            self.post_message(self.FolderChosen(*data))


def _label(name: str, unread: int, icon: str) -> str:
    from rich.markup import escape

    text = f"{icon} {escape(name)}"
    return f"[b]{text} ({unread})[/b]" if unread else text
