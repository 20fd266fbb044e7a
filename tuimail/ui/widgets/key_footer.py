"""The footer of key bindings, updated in place.

Textual's `Footer` removes and re-mounts every key widget whenever the focused widget's
bindings change (opening a message, going back with q, every focus change): styling,
laying out and painting a dozen new widgets stalled the loop 20-30 ms each time (issue
19). This footer shows the same keys the same way, but keeps its key widgets: it does
nothing when the keys to show did not change, and otherwise gives the existing widgets
their new key and words (hiding spare ones, mounting only what is missing).
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_KEY_COMPACT = True  # FooterKey.compact's default: the palette's key is not bound


class Key(NamedTuple):
    """One key as the footer shows it (what `Footer.compose` would give a FooterKey)."""

    key: str
    display: str
    description: str
    action: str
    enabled: bool
    tooltip: str


class KeyFooter(Footer):
    """A `Footer` whose keys are updated in place. Binding groups (which Textual shows
    as grouped keys) fall back to the footer's own full recompose."""

    _shown: tuple[tuple[Key, ...], Key | None] | None = None

    def __init__(self) -> None:
        super().__init__()
        # The keys are composed with the screen (in its first frame), not in a frame
        # of their own once the bindings are announced (~10 ms of the start's CPU).
        self.set_reactive(Footer._bindings_ready, True)

    def compose(self):
        if self.is_attached:
            self._shown = self._wanted()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Bound to the footer's `compact` (the palette key is not: it stays
                # compact), each key's watcher set and then unset its -compact class
                # when mounted, restyling it twice (~8 ms of the first paint, issue 19).
                # (Reading a key's own `compact` before it is mounted runs its watcher.)
                bound = not widget.has_class("-command-palette")
                _compact(widget, self.compact if bound else PALETTE_KEY_COMPACT)
            yield widget

    def _wanted(self) -> tuple[tuple[Key, ...], Key | None] | None:
        """The keys `Footer.compose` would show and its command-palette key; None when
        the bindings use groups (shown by the plain recompose)."""
        active = self.screen.active_bindings
        by_action: defaultdict[str, list[Key]] = defaultdict(list)
        for _node, binding, enabled, tooltip in active.values():
            if not binding.show:
                continue
            if binding.group is not None:
                return None
            by_action[binding.action].append(
                Key(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    enabled,
                    tooltip,
                )
            )
        keys = tuple(found[0] for found in by_action.values())
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            entry = active.get(self.app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                _node, binding, enabled, tooltip = entry
                palette = Key(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    enabled,
                    binding.tooltip or binding.description,
                )
        return keys, palette

    def bindings_changed(self, screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._update_keys)

    async def _update_keys(self) -> None:
        if not self.is_attached:
            return
        wanted = self._wanted()
        if wanted is not None and wanted == self._shown:
            return  # the same keys: nothing to redo
        widgets = [c for c in self.children if isinstance(c, FooterKey)]
        plain = [
            w for w in widgets if not (w.has_class("-command-palette") or w.has_class("-grouped"))
        ]
        palettes = [w for w in widgets if w.has_class("-command-palette")]
        shown = self._shown
        if (
            wanted is None
            or shown is None
            or len(plain) + len(palettes) != len(widgets)
            or len(self.children) != len(widgets)
            or (wanted[1] is None) != (shown[1] is None)
        ):
            self._shown = wanted
            await self.recompose()  # first keys, groups or the palette key came or went
            return
        keys, palette = wanted
        new = []
        placed = _in_place(plain, keys)
        if placed is not None:
            # (Not grid_size_columns as Footer.compose sets it: the footer's layout is
            # horizontal, so it changes nothing but repaints every key.)
            # Each key is in a widget that showed its action before, in order (going
            # from the reader back to the list: the list's own key comes back): show and
            # hide, no widget gets other words, so nothing changes size (a new text
            # laid out the screen twice: ~20 ms of the loop on each open and q).
            for widget, key in zip(plain, placed, strict=True):
                if key is not None:
                    _give(widget, key)
                _show(widget, key is not None)
        else:
            self.styles.grid_size_columns = len(keys)
            for index, key in enumerate(keys):
                if index < len(plain):
                    _give(plain[index], key)
                    _show(plain[index], True)
                else:
                    widget = _key_widget(key)
                    _compact(widget, self.compact)
                    new.append(widget.data_bind(compact=Footer.compact))
            for spare in plain[len(keys) :]:
                _show(spare, False)
        if palette is not None and palettes:
            _give(palettes[0], palette)
        self._shown = wanted
        if new:
            if palettes:
                await self.mount_all(new, before=palettes[0])
            else:
                await self.mount_all(new)


def _in_place(widgets: list[FooterKey], keys: tuple[Key, ...]) -> list[Key | None] | None:
    """For each widget, the key it shows if every key can stay in a widget whose action
    it already is, in the same order (None: that widget is hidden); None if they
    cannot."""
    placed: list[Key | None] = []
    wanted = iter(keys)
    key = next(wanted, None)
    for widget in widgets:
        if key is not None and widget.action == key.action:
            placed.append(key)
            key = next(wanted, None)
        else:
            placed.append(None)
    return placed if key is None else None


def _show(widget: FooterKey, shown: bool) -> None:
    if widget.display != shown:  # setting it again still lays the screen out
        widget.display = shown


def _key_widget(key: Key) -> FooterKey:
    return FooterKey(
        key.key,
        key.display,
        key.description,
        key.action,
        disabled=not key.enabled,
        tooltip=key.tooltip,
    )


def _compact(widget: FooterKey, compact: bool) -> None:
    """A key widget not yet mounted made as compact as it will be once mounted."""
    widget.set_reactive(FooterKey.compact, compact)
    widget.set_class(compact, "-compact", update=False)


def _give(widget: FooterKey, key: Key) -> None:
    """Show `key` in an existing key widget (what a new FooterKey(...) would show)."""
    if (
        widget.key,
        widget.key_display,
        widget.description,
        widget.action,
        not widget._disabled,
    ) == key[:5] and (widget.tooltip or "") == key.tooltip:
        return
    widget.key = key.key
    widget.key_display = key.display
    widget.description = key.description
    widget.action = key.action
    widget._disabled = not key.enabled
    widget.set_class(not key.enabled, "-disabled")
    widget.tooltip = key.tooltip or None
    widget.refresh(layout=True)
