"""Test-wide setup: isolated XDG dirs, no real keyring, and no skips in CI.

Fixture modules live in ``tests/fixtures/`` and are loaded as plugins so each
test bed owns its own file.
"""

from __future__ import annotations

import gc
import os
import sys

import pytest

from tests.system import ALL, skipped_packages

pytest_plugins = [
    "tests.fixtures.testbeds",
]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own XDG config/data/cache/state dirs and HOME."""
    root = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        path = root / sub
        path.mkdir(mode=0o700)
        monkeypatch.setenv(var, str(path))
    monkeypatch.setenv("HOME", str(root))
    # No test may reach a real keyring (there is none in CI or over SSH anyway).
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    umask = os.umask(0o022)  # a test running `tuimail.__main__.main()` in-process sets
    os.umask(umask)  # 077; restored after it, or a later test bed (Postfix) cannot start
    yield root
    os.umask(umask)


@pytest.fixture(autouse=True)
def quick_first_sync(monkeypatch: pytest.MonkeyPatch):
    """Apps built in a test on an empty store (nothing to paint before the first sync)
    start it after 0.1 s, not the users' 1 s: no test depends on that wait. Only where
    the app module is loaded already (test modules import it at collection): a test of
    anything else does not pay for importing Textual here."""
    app = sys.modules.get("tuimail.ui.app")
    if app is not None:
        monkeypatch.setattr(app.TuimailApp, "SYNC_FALLBACK", 0.1)


@pytest.fixture(autouse=True)
def forget_secrets():
    """Secrets made during a test (tuimail.core.logs.remember_secret: every Secret) are
    forgotten after it: a test's password ("wrong", "bad") is not blanked out of a later
    test's log lines and server words (tuimail.core.errors redacts those too)."""
    from tuimail.core import logs

    before = set(logs._secrets)
    yield
    with logs._secrets_lock:
        logs._secrets.intersection_update(before)


@pytest.fixture(autouse=True)
def restore_umask():
    """`tuimail.__main__.main()` called in-process sets the private umask 077 (as the
    real entry point must); it must not leak into later tests, e.g. the Dovecot/Postfix
    bed started afterwards, whose directories the mail daemons must be able to enter."""
    before = os.umask(0o022)
    os.umask(before)
    yield
    os.umask(before)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what lives all session (imported modules, the collected tests: ~150k objects)
    out of the garbage collector's sight: the fixtures' gc.collect() after each test (and
    Python's own full collections) then scan only what the tests made, not 0.15 s of
    objects that can never be garbage."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """In CI a skipped test is a failure: the interop beds must really run there."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (skips are errors in CI): {report.longrepr}"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Outside CI: tests skipped for a missing system package become one line naming the
    packages to install (the per-test reasons are not listed); other skips one line each."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    packages: set[str] = set()
    count = 0
    others: dict[str, int] = {}
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        named = skipped_packages(reason)
        if named is None:
            others[reason] = others.get(reason, 0) + 1
        else:
            packages.update(named)
            count += 1
    write = terminalreporter.write_line
    if count:
        wanted = " ".join(p for p in ALL if p in packages)
        write(
            f"{count} tests skipped: missing system packages {wanted} "
            f"(sudo apt-get install {wanted}; see README, Run the tests). "
            "In CI (CI=true) these skips are failures."
        )
    for reason, n in others.items():
        write(f"{n} skipped: {reason}")
