"""Folders whose parent level is not a folder (Dovecot lists "Work" as \\Noselect for
"Work/Projects", and tuimail shows only folders it can open) keep their place: the
missing level is a label that opens nothing, and "Work/Projects" sorts right after
"Work", never after "Work-old"."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tuimail.core.facade.folders import _tree_order
from tuimail.core.service import FolderInfo
from tuimail.ui.widgets.folder_tree import FolderTree

FOLDERS = [
    FolderInfo("work", "INBOX", "inbox"),
    FolderInfo("work", 'a"quote'),
    FolderInfo("work", "dir/with space"),
    FolderInfo("work", "Émoji 📬"),
    FolderInfo("work", "[b]x[/b] [@click=app.quit]y[/]"),
    FolderInfo("work", "Ünïcödé/Sub"),
]


class _TreeApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield FolderTree(id="folders")

    def on_folder_tree_folder_chosen(self, message: FolderTree.FolderChosen) -> None:
        self.chosen.append((message.account, message.folder))


async def test_missing_parent_levels_are_labels_that_open_nothing() -> None:
    app = _TreeApp()
    async with app.run_test(size=(60, 20)) as pilot:
        tree = app.query_one(FolderTree)
        tree.set_folders(sorted(FOLDERS, key=_tree_order), None)
        await pilot.pause()
        lines = [(str(n.label), n.data) for n in tree.root.children[0].children]
        assert lines == [
            ("▸ INBOX", ("work", "INBOX")),
            ("  [b]x[", ("work", "")),
            ("    b] [@click=app.quit]y[", ("work", "")),
            ("    · ]", ("work", "[b]x[/b] [@click=app.quit]y[/]")),
            ('· a"quote', ("work", 'a"quote')),
            ("  dir", ("work", "")),
            ("  · with space", ("work", "dir/with space")),
            ("· Émoji 📬", ("work", "Émoji 📬")),
            ("  Ünïcödé", ("work", "")),
            ("  · Sub", ("work", "Ünïcödé/Sub")),
        ]
        tree.focus()
        children = tree.root.children[0].children
        tree.move_cursor(children[5])  # "dir": only a label
        await pilot.press("enter")
        tree.move_cursor(children[6])
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == [("work", "dir/with space")]


def test_a_folder_sorts_right_after_its_parent() -> None:
    names = ["Work-old", "Work/Projects", "Work", "work2"]
    ordered = sorted((FolderInfo("a", n) for n in names), key=_tree_order)
    assert [f.name for f in ordered] == ["Work", "Work/Projects", "Work-old", "work2"]


def test_a_hostile_deep_name_gets_a_bounded_number_of_labels() -> None:
    from tuimail.core.service import MAX_SHOWN_DEPTH
    from tuimail.ui.widgets.folder_tree import _missing_parents

    deep = FolderInfo("work", "/".join(["a"] * 5000))
    labels = _missing_parents(deep, set())
    assert len(labels) == MAX_SHOWN_DEPTH


class _NarrowTreeApp(_TreeApp):
    CSS = "#folders { width: 24; }"  # as in the app's folder pane


async def test_a_long_folder_name_ends_in_an_ellipsis_without_a_horizontal_scrollbar() -> None:
    """Regression: a very long name added a horizontal scrollbar, a stray block at the
    pane's bottom left. It is cut with "…" to the pane's width instead."""
    long = "Projects-2026-quarterly-reports-and-minutes"
    app = _NarrowTreeApp()
    async with app.run_test(size=(60, 20)) as pilot:
        tree = app.query_one(FolderTree)
        tree.set_folders([FolderInfo("work", "INBOX", "inbox"), FolderInfo("work", long)], None)
        await pilot.pause()
        assert not tree.show_horizontal_scrollbar
        assert tree.virtual_size.width <= tree.size.width
        lines = ["".join(s.text for s in tree.render_line(y)) for y in range(4)]
        [shown] = [line for line in lines if "Projects" in line]
        assert shown.rstrip().endswith("…") and len(shown) <= 24, lines
        # with unread mail the count stays, the name is cut
        tree.set_folders(
            [FolderInfo("work", "INBOX", "inbox"), FolderInfo("work", long, None, 3)], None
        )
        await pilot.pause()
        lines = ["".join(s.text for s in tree.render_line(y)) for y in range(4)]
        [shown] = [line for line in lines if "Projects" in line]
        assert shown.rstrip().endswith("… (3)") and len(shown) <= 24, lines
