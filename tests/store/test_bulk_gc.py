"""A bulk job raises the collector's first threshold and always puts it back (issue 19),
also when jobs overlap in several threads or one fails."""

from __future__ import annotations

import gc
import threading

import pytest

from tuimail.core.bulk_gc import BULK_THRESHOLD, fewer_collections


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_the_threshold_is_raised_inside_and_restored_after(thresholds) -> None:
    with fewer_collections():
        assert gc.get_threshold() == (BULK_THRESHOLD, 10, 10)
        assert gc.isenabled()
    assert gc.get_threshold() == (700, 10, 10)


def test_a_failing_job_restores_it(thresholds) -> None:
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("the server went away")
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_jobs_in_threads_restore_it_when_the_last_ends(thresholds) -> None:
    inside, release = threading.Event(), threading.Event()

    def job() -> None:
        with fewer_collections():
            inside.set()
            release.wait(30)

    worker = threading.Thread(target=job)
    with fewer_collections():
        worker.start()
        assert inside.wait(30)
    assert gc.get_threshold() == (BULK_THRESHOLD, 10, 10)  # the other job still runs
    release.set()
    worker.join(30)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_is_kept_and_automatic_collection_off_stays_off(thresholds) -> None:
    gc.set_threshold(50_000, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == 50_000
    gc.set_threshold(0, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold() == (0, 10, 10)
