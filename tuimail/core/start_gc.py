"""The cyclic garbage collector paused while the app starts, until its first painted list.

Importing Textual and tuimail and building the first screen make tens of thousands of
objects that all stay; CPython's collector walked them again and again meanwhile (about
140 young passes and a full one before the first painted list at 10,000 messages: ~50 ms,
~15 % of the start's CPU, issue 19) and found almost nothing. `pause()` (the entry point,
for the app only) stops the automatic passes; `resume()` (the app, once its first list is
on screen) turns the collector back on. Reference counting frees everything meanwhile
that is not in a cycle.

A resume right after the paint only freezes what start-up made (instant): a collection
there would hold the interpreter for tens of milliseconds while the terminal is still
being written to. The few thousand cyclic objects start-up leaves as garbage are then
collected by `collect_owed()`, once, when the user is idle (tuimail.ui.idle_gc), unless
something else was frozen meanwhile (a big thread tree: walking it would stall the loop);
`resume(collect=True)` collects at once instead (nothing is being painted).

Invariant: only a pause made here is resumed here; a collector disabled by someone else
(a test, an embedding program) is left as it was.
"""

from __future__ import annotations

import gc

_paused = False
_owed_at: int | None = None  # gc.get_freeze_count() right after the resume's freeze


def pause() -> None:
    """Stop the automatic collections (no-op when the collector is already off)."""
    global _paused
    if not _paused and gc.isenabled():
        gc.disable()
        _paused = True


def paused() -> bool:
    return _paused


def resume(collect: bool = False) -> bool:
    """Undo `pause()`: freeze what start-up made out of later passes and turn the
    collector on; the garbage among it is collected now with `collect`, else owed to
    `collect_owed()`. True when a pause was undone."""
    global _paused, _owed_at
    if not _paused:
        return False
    _paused = False
    if collect:
        gc.collect()
    gc.freeze()
    _owed_at = None if collect else gc.get_freeze_count()
    gc.enable()
    return True


def collect_owed() -> bool:
    """The collection a `resume()` after the paint left: start-up's objects thawed,
    collected and frozen again. True when it ran."""
    global _owed_at
    owed, _owed_at = _owed_at, None
    if owed is None or gc.get_freeze_count() > owed:
        return False  # none owed, or more was frozen since: left as it is
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return True
