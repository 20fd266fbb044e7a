"""The cyclic garbage collector, paused by the entry point while the app starts (issue 19:
its passes over start-up's objects were ~15 % of the first paint's CPU), is back on once
the first list is painted, or at once when there is none to paint (the wizard, a store
with no folder yet): a session never runs without it."""

from __future__ import annotations

import gc
import weakref

from tests.ui.helpers import make_app, ready, seed, wait_for
from tuimail.core import start_gc
from tuimail.ui import idle_gc
from tuimail.ui.app import TuimailApp
from tuimail.ui.widgets.message_list import MessageList


def _paused_start() -> None:
    start_gc.resume()  # a test before may have left one (it should not)
    start_gc.pause()
    assert start_gc.paused() and not gc.isenabled()


def _back_on() -> bool:
    return not start_gc.paused() and gc.isenabled()


async def test_the_collector_comes_back_once_the_first_list_is_painted(mail_server):
    user = mail_server.new_user()
    seed(mail_server, user, 3)
    async with make_app(mail_server, user).run_test(size=(120, 40)) as pilot:
        await ready(pilot)  # the store now holds the inbox's rows
    _paused_start()
    try:
        app = make_app(mail_server, user, sync=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app._shown_list != ())
            lst = app.main.query_one(MessageList)
            assert lst.count == 3  # painted from the store
            await wait_for(pilot, _back_on)
    finally:
        start_gc.resume()
    assert gc.isenabled()


async def test_with_no_folder_to_paint_the_collector_comes_back_with_the_fallback(mail_server):
    user = mail_server.new_user()
    _paused_start()
    try:
        app = make_app(mail_server, user, sync=False)  # an empty store: no list comes
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, _back_on)
            assert not app._shown_list
    finally:
        start_gc.resume()


async def test_the_wizard_runs_with_the_collector_on():
    _paused_start()
    try:
        app = TuimailApp(None, start_sync=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            assert _back_on()
    finally:
        start_gc.resume()


def test_a_pause_made_by_someone_else_is_not_undone():
    start_gc.resume()
    gc.disable()
    try:
        start_gc.pause()
        assert not start_gc.paused()
        assert not start_gc.resume()
        assert not gc.isenabled()  # left as its owner set it
    finally:
        gc.enable()


class _Cycle:
    """Garbage only the cyclic collector can free."""

    def __init__(self) -> None:
        self.me = self


def test_start_ups_garbage_is_collected_once_the_user_is_idle():
    _paused_start()
    try:
        cycle = _Cycle()
        freed = weakref.ref(cycle)
        del cycle  # garbage made during the start
        assert start_gc.resume()  # after the paint: frozen, not walked
        gc.collect()
        assert freed() is not None  # a frozen cycle is not collected by the usual passes
        collector = idle_gc.IdleCollector()
        collector.start()
        try:
            collector._last_input -= idle_gc.IDLE + 1  # the user is idle
            assert collector.tick()
        finally:
            collector.stop()
        assert freed() is None
        assert not start_gc.collect_owed()  # once
    finally:
        start_gc.resume()
        gc.unfreeze()


def test_nothing_is_thawed_once_something_else_was_frozen():
    _paused_start()
    try:
        cycle = _Cycle()
        freed = weakref.ref(cycle)
        del cycle
        start_gc.resume()
        tree = [_Cycle() for _ in range(100)]
        gc.freeze()  # as a big thread tree is (tuimail.ui.app._tree_frozen)
        assert not start_gc.collect_owed()  # walking that tree would stall the loop
        assert freed() is not None
        del tree
    finally:
        start_gc.resume()
        gc.unfreeze()
