"""The folder tree: accounts, special folders first, unread counts, a unified inbox."""

from __future__ import annotations

import re

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tuimail.core.service import MAX_SHOWN_DEPTH, UNIFIED, FolderInfo, inbox_of
from tuimail.ui.plain import plain_text

_COUNT = re.compile(r" \(\d+\)$")  # a label's unread count

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
    """Node data is (account, folder); the unified inbox is (UNIFIED, "INBOX"). A name
    longer than the pane ends in "…" (no horizontal scrollbar: its bar showed as a
    stray block at the pane's bottom left)."""

    DEFAULT_CSS = """
    FolderTree { overflow-x: hidden; }
    """

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="folders.down"),
        Binding("k", "cursor_up", "Up", show=False, id="folders.up"),
        # As in the message list (and less, mutt): g / G to the first / last folder.
        Binding("g,home", "scroll_home", "Top", show=False, id="folders.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="folders.bottom"),
        # Enter opens (an account line: its INBOX, as mutt's and aerc's account lists
        # do); folding an account is Space (Textual's toggle), left and right.
        Binding("left", "fold", "Fold account", show=False, id="folders.fold"),
        Binding("right", "unfold", "Unfold account", show=False, id="folders.unfold"),
    ]

    class FolderChosen(Message):
        def __init__(self, account: str, folder: str) -> None:
            super().__init__()
            self.account = account
            self.folder = folder

    def __init__(self, *, id: str | None = None) -> None:
        # A Text label: a str would be parsed as markup, loading rich's emoji table (the
        # root is never shown; its label is never markup).
        super().__init__(Text("Mail"), id=id)
        self.show_root = False
        self.auto_expand = False  # Enter opens a folder, never folds (Space does)
        self.guide_depth = 2
        self._folders: list[FolderInfo] = []
        self._folder_shape: tuple = ()
        self._folder_nodes: dict[tuple[str, str], TreeNode] = {}

    def render_label(self, node: TreeNode, base_style: Style, style: Style) -> Text:
        text = super().render_label(node, base_style, style)
        depth, parent = 0, node.parent
        while parent is not None:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth
        if room > 1 and text.cell_len > room:
            # the name is cut, not its unread count: "· Projects-2026-qu… (3)"
            count = _COUNT.search(text.plain)
            keep = len(count.group()) if count and room - len(count.group()) > 4 else 0
            name, tail = text[: len(text) - keep], text[len(text) - keep :]
            name.truncate(room - keep, overflow="ellipsis")
            text = name + tail if keep else name
        return text

    def set_folders(self, folders: list[FolderInfo], selected: tuple[str, str] | None) -> None:
        """Show the folders. Called on every store change: when only the unread counts
        changed the labels are updated in place, so the cursor of someone moving in the
        tree does not jump back to the top."""
        self._folders = folders
        shape = tuple((f.account, f.name, f.special_use) for f in folders)
        if shape == self._folder_shape and self._folder_nodes:
            self._relabel(folders)
            return
        self._folder_shape = shape
        keep = self.cursor_node.data if self.has_focus and self.cursor_node is not None else None
        self._folder_nodes = {}
        self.clear()
        accounts: dict[str, list[FolderInfo]] = {}
        for folder in folders:
            accounts.setdefault(folder.account, []).append(folder)
        select_line = None
        if len(accounts) > 1:
            unread = sum(f.unread for f in folders if f.special_use == "inbox")
            node = self.root.add_leaf(_label("All inboxes", unread, "▸"), data=(UNIFIED, "INBOX"))
            self._folder_nodes[(UNIFIED, "INBOX")] = node
            if selected == (UNIFIED, "INBOX"):
                select_line = node
        for account, items in accounts.items():
            branch = self.root.add(plain_text(account), data=(account, ""), expand=True)
            self._folder_nodes[(account, "")] = branch
            shown = {folder.name for folder in items}
            for folder in items:
                for parent in _missing_parents(folder, shown):  # a label: not opened
                    branch.add_leaf(plain_text(parent, style="dim"), data=(account, ""))
                node = branch.add_leaf(_folder_label(folder), data=(folder.account, folder.name))
                self._folder_nodes[(folder.account, folder.name)] = node
                if selected == (folder.account, folder.name):
                    select_line = node
        target = self._folder_nodes.get(keep) if keep is not None else select_line
        if target is not None:
            _ = self.last_line  # lays the new lines out: the nodes know their line now
            self.move_cursor(target)

    def _relabel(self, folders: list[FolderInfo]) -> None:
        unified = self._folder_nodes.get((UNIFIED, "INBOX"))
        if unified is not None:
            unread = sum(f.unread for f in folders if f.special_use == "inbox")
            unified.set_label(_label("All inboxes", unread, "▸"))
        for folder in folders:
            node = self._folder_nodes.get((folder.account, folder.name))
            if node is not None:
                node.set_label(_folder_label(folder))

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        data = event.node.data
        if data and data[1]:
            self.post_message(self.FolderChosen(*data))
        elif data and event.node is self._folder_nodes.get((data[0], "")):
            inbox = self.inbox_of(data[0])  # an account line: its INBOX
            if inbox:
                self.post_message(self.FolderChosen(data[0], inbox))

    def inbox_of(self, account: str) -> str:
        """The account's inbox (tuimail.core.service.inbox_of); "" when it has no folder
        listed yet."""
        inbox = inbox_of(self._folders, account)
        return inbox.name if inbox is not None else ""

    def _account_node(self) -> TreeNode | None:
        """The account line the cursor is on or in."""
        node = self.cursor_node
        while node is not None and node.parent is not None and node.parent is not self.root:
            node = node.parent
        return node if node is not None and node.allow_expand else None

    def action_fold(self) -> None:
        """Left: fold the account the cursor is in, and go to its line."""
        node = self._account_node()
        if node is not None:
            node.collapse()
            self.move_cursor(node)

    def action_unfold(self) -> None:
        """Right: unfold the account on the cursor's line."""
        node = self._account_node()
        if node is not None:
            node.expand()


def _missing_parents(folder: FolderInfo, shown: set[str]) -> list[str]:
    """Labels for the levels above `folder` that are not folders of their own (Dovecot
    lists "Work" as \\Noselect for "Work/Projects"; such names are not in the list): without
    them "Projects" would look like a child of whatever folder came before it. Each
    missing level is added to `shown`, so it is labelled once."""
    delimiter = folder.delimiter
    if folder.special_use or not delimiter or folder.depth == 0:
        return []
    parts = folder.name.strip(delimiter).split(delimiter)
    out = []
    for level in range(1, min(len(parts), MAX_SHOWN_DEPTH + 1)):  # bounded: a hostile name
        prefix = delimiter.join(parts[:level])
        if prefix in shown or delimiter + prefix in shown:
            continue
        shown.add(prefix)
        indent = "  " * min(level - 1, MAX_SHOWN_DEPTH)
        out.append(f"{indent}  {parts[level - 1] or delimiter}")
    return out


def _folder_label(folder: FolderInfo) -> Text:
    depth = folder.depth if not folder.special_use else 0
    icon = ICONS.get(folder.special_use or "", "·")
    return _label(folder.label, folder.unread, icon, indent="  " * depth)


def _label(name: str, unread: int, icon: str, indent: str = "") -> Text:
    """The folder's name shown literally (sanitised, never markup); bold when unread."""
    text = plain_text(f"{indent}{icon} {name}")
    if unread:
        text.append(f" ({unread})")
        text.stylize("bold", len(indent))
    return text
