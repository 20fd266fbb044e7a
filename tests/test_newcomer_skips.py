"""A newcomer without Dovecot/Postfix or tmux: those tests are skipped and the run ends
with one line naming the packages to install; with CI=true the same skips fail the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system import PRETEND_MISSING

ROOT = Path(__file__).resolve().parents[1]
SUBSET = ["tests/ui/test_demo_in_tmux.py", "tests/interop/test_realpeer_lifecycle.py"]


def _start(ci: bool) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env[PRETEND_MISSING] = "tmux,dovecot"
    if ci:
        env["CI"] = "true"
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *SUBSET],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def runs() -> dict[bool, subprocess.CompletedProcess]:
    """The subset run outside CI (False) and with CI=true (True), both at once (each is
    mostly a pytest start-up: the second core does the other)."""
    procs = {ci: _start(ci) for ci in (False, True)}
    done = {}
    try:
        for ci, proc in procs.items():
            out, err = proc.communicate(timeout=300)
            done[ci] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return done


def test_missing_packages_are_one_line_outside_ci(runs) -> None:
    done = runs[False]
    assert done.returncode == 0, done.stdout + done.stderr
    wanted = "dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix openssl tmux"
    lines = [line for line in done.stdout.splitlines() if "skipped" in line]
    assert len(lines) == 2, lines  # the packages line, then pytest's own count
    skipped = int(lines[1].split(" skipped")[0].split()[-1])
    assert skipped >= 2  # the tmux test and at least one test on the Dovecot bed
    assert lines[0].startswith(f"{skipped} tests skipped: missing system packages {wanted} ")
    assert f"(sudo apt-get install {wanted};" in lines[0]
    assert "SKIPPED" not in done.stdout  # no per-test reasons


def test_the_same_skips_fail_in_ci(runs) -> None:
    done = runs[True]
    assert done.returncode == 1, done.stdout
    assert "skipped in CI (skips are errors in CI)" in done.stdout
    assert "tests skipped: missing system packages" not in done.stdout
