"""What the UI paints and drops is freed by reference counting, not left to the cyclic
garbage collector (whose full passes stalled the loop 10-80 ms at 100,000 messages,
issue 19); full passes run while the user is idle."""

from __future__ import annotations

import gc
import sys
import weakref

from rich.segment import Segment
from rich.style import Style
from textual.cache import FIFOCache
from textual.strip import Strip

from tuimail.ui import idle_gc, textual_fixes
from tuimail.ui.lru import LRU


class _Value:
    """Something weakly referable to see when it is freed."""


def test_a_strip_cut_whole_is_itself_and_holds_no_reference_to_itself():
    textual_fixes.apply()
    strip = Strip([Segment("hello "), Segment("world")], 11)
    before = sys.getrefcount(strip)
    assert strip.divide([11]) == [strip]
    assert strip.divide([11, 20]) == [strip]  # cuts past the end are ignored
    assert sys.getrefcount(strip) == before  # no strip -> cache -> [strip] cycle
    halves = strip.divide([6, 11])  # other cuts as before
    assert [h.text for h in halves] == ["hello ", "world"]
    assert strip.divide([6, 11]) is halves  # still cached


def test_a_strip_makes_its_caches_when_first_used_and_answers_as_before():
    textual_fixes.apply()
    strip = Strip([Segment("hello "), Segment("world")], 11)
    # a new strip holds no cache objects for the collector to walk
    assert not any(isinstance(r, FIFOCache) for r in gc.get_referents(strip))
    cropped = strip.crop(0, 5)
    assert cropped.text == "hello" and strip.crop(0, 5) is cropped  # cached once made
    assert any(isinstance(r, FIFOCache) for r in gc.get_referents(strip))
    styled = strip.apply_style(Style(bold=True))
    assert styled.text == "hello world" and strip.apply_style(Style(bold=True)) is styled
    assert strip.extend_cell_length(15).cell_length == 15
    assert [h.text for h in strip.divide([3, 11])] == ["hel", "lo world"]
    assert Strip.blank(4).text == "    "


def test_the_lru_drops_the_least_recently_used_and_frees_what_it_drops_at_once():
    cache: LRU[int, _Value] = LRU(2)
    values = [_Value() for _ in range(3)]
    refs = [weakref.ref(v) for v in values]
    enabled = gc.isenabled()
    gc.disable()  # freed by reference counting, not by a collection
    try:
        cache[0], cache[1] = values[0], values[1]
        assert cache.get(0) is values[0]  # 0 is now the most recently used
        cache[2] = values[2]  # drops 1
        assert 1 not in cache and cache.get(1) is None and cache.get(1, values[0]) is values[0]
        assert len(cache) == 2
        del values
        assert refs[1]() is None
        cache.clear()
        assert len(cache) == 0 and refs[0]() is None and refs[2]() is None
    finally:
        if enabled:
            gc.enable()


def test_full_collections_wait_for_an_idle_user_and_the_threshold_comes_back():
    before = gc.get_threshold()
    collector = idle_gc.IdleCollector()
    collector.start()
    try:
        assert gc.get_threshold()[2] >= idle_gc.OLDEST_THRESHOLD
        collector.input_seen()
        gc.collect(1)  # a middle-generation pass: a full one may find something
        assert not collector.tick()  # the user just acted
        collector._last_input -= idle_gc.IDLE + 1
        assert collector.tick()
        assert not collector.tick()  # nothing promoted since
    finally:
        collector.stop()
    assert gc.get_threshold() == before
