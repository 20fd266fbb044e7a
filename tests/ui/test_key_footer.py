"""The main screen's footer updates its keys in place (issue 19: Textual's own Footer
re-mounts every key on each focus change). It must show exactly what Textual's Footer
shows, in the same places, follow the focus, and a click on a key must run the key it
now shows."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tests.ui.helpers import record_restyles, wait_for
from tuimail.ui.widgets.key_footer import KeyFooter


class _Pane(Widget, can_focus=True):
    DEFAULT_CSS = "_Pane { height: 1fr; } _Pane:focus { background: $accent; }"


class _List(_Pane):
    BINDINGS = [
        Binding("enter", "open", "Open"),
        Binding("x", "gone", "Never allowed"),
        Binding("j", "down", "Down", show=False),
    ]

    def check_action(self, action: str, parameters) -> bool | None:
        return None if action == "gone" else True  # shown disabled

    def action_open(self) -> None:
        self.app.ran.append("open")


class _Reader(_Pane):
    BINDINGS = [Binding("z", "quotes", "Quotes"), Binding("b", "page_up", "Page up")]

    def action_quotes(self) -> None:
        self.app.ran.append("quotes")


class _Host(App):
    BINDINGS = [Binding("c", "compose", "Compose"), Binding("question_mark", "help", "Help")]

    def __init__(self, footer: type[Footer]) -> None:
        super().__init__()
        self.footer = footer
        self.ran: list[str] = []

    def compose(self) -> ComposeResult:
        yield _List(id="list")
        yield _Reader(id="reader")
        yield _Pane(id="plain")
        yield self.footer()

    def action_compose(self) -> None:
        self.ran.append("compose")


def _bottom_line(app: App) -> str:
    strips = app.screen._compositor.render_strips()
    return "".join(segment.text for segment in strips[-1])


async def _footers_after(focus_order: list[str]) -> tuple[list[str], list[str], int]:
    """The bottom line after each focus change with KeyFooter and with Textual's Footer,
    and how many key widgets KeyFooter made in all."""
    lines: dict[type, list[str]] = {}
    made: set[int] = set()
    for kind in (KeyFooter, Footer):
        app = _Host(kind)
        seen: list[str] = []
        async with app.run_test(size=(100, 12)) as pilot:
            for name in focus_order:
                app.query_one(f"#{name}").focus()
                await pilot.pause()
                await pilot.pause()
                seen.append(_bottom_line(app))
                if kind is KeyFooter:
                    made.update(id(key) for key in app.query_one(Footer).children)
        lines[kind] = seen
    return lines[KeyFooter], lines[Footer], len(made)


async def test_the_footer_shows_what_textuals_footer_shows_as_the_focus_moves():
    order = ["list", "reader", "list", "plain", "list", "plain", "reader", "list"]
    ours, textuals, made = await _footers_after(order)
    assert ours == textuals
    assert "Open" in ours[0] and "Never allowed" in ours[0] and "Quotes" not in ours[0]
    assert "Quotes" in ours[1] and "Page up" in ours[1] and "Open" not in ours[1]
    # kept, not re-made: the longest set of keys (list: 4) and the palette's key
    assert made == 5


async def test_a_click_on_a_footer_key_runs_the_key_it_shows_now():
    app = _Host(KeyFooter)
    async with app.run_test(size=(100, 12)) as pilot:
        app.query_one("#list").focus()
        await pilot.pause()
        app.query_one("#reader").focus()
        await pilot.pause()
        await pilot.pause()
        footer = app.query_one(KeyFooter)
        quotes = next(k for k in footer.children if getattr(k, "description", "") == "Quotes")
        await pilot.click(quotes)
        await wait_for(pilot, lambda: app.ran == ["quotes"])
        app.query_one("#list").focus()
        await pilot.pause()
        await pilot.pause()
        opened = next(k for k in footer.children if getattr(k, "description", "") == "Open")
        assert opened.display
        await pilot.click(opened)
        await wait_for(pilot, lambda: app.ran == ["quotes", "open"])


async def test_keys_that_stay_keep_their_widgets_when_the_focus_moves_back_and_forth():
    """From the list to a pane with fewer of the same keys and back (the reader and the
    list, q): keys are hidden and shown again, none is re-worded, so nothing changes size
    (a re-worded key lays the whole screen out again)."""
    app = _Host(KeyFooter)
    async with app.run_test(size=(100, 12)) as pilot:
        footer = app.query_one(KeyFooter)
        words: dict[int, set[str]] = {}
        for name in ["list", "plain", "list", "plain", "list"]:
            app.query_one(f"#{name}").focus()
            await pilot.pause()
            await pilot.pause()
            shown = [k for k in footer.children if k.display]
            assert ("Open" in _bottom_line(app)) == (name == "list")
            for key in shown:
                words.setdefault(id(key), set()).add(key.description)
        assert all(len(said) == 1 for said in words.values()), words


async def test_the_keys_are_styled_once_when_mounted_with_textuals_classes():
    """Each key used to be restyled twice as it was mounted (its -compact class set by
    its own default, then unset by the footer's binding): issue 19's first paint."""
    classes = {}
    for kind in (KeyFooter, Footer):
        app = _Host(kind)
        restyled = record_restyles(app)
        async with app.run_test(size=(100, 12)) as pilot:
            await pilot.pause()
            keys = [k for k in app.query_one(Footer).children if isinstance(k, FooterKey)]
            classes[kind] = [sorted(k.classes) for k in keys]
            if kind is KeyFooter:
                assert not [n for n in restyled if isinstance(n, FooterKey)]
    assert classes[KeyFooter] == classes[Footer]
    assert any("-compact" in c for c in classes[KeyFooter])  # the palette's key
