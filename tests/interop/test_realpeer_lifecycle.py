"""Starting and stopping the real peer: nothing left behind, nothing else touched."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures import realpeer_procs
from tests.fixtures.realpeer_bed import DovecotPeer
from tests.fixtures.realpeer_procs import (
    belongs_to,
    missing_requirements,
    pid_alive,
    read_pid,
    reap_stale,
)

pytestmark = pytest.mark.interop


def _processes_mentioning(marker: str) -> list[int]:
    """Live processes whose command line or environment names `marker`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            blob = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in blob and pid_alive(int(proc.name)):
            found.append(int(proc.name))
    return found


def _dead_pid() -> int:
    """The PID of a process that has just exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.mark.slow
def test_a_second_bed_stops_completely_and_leaves_the_first_alone(dovecot_peer, monkeypatch):
    if missing_requirements():
        pytest.skip(missing_requirements())
    # The first ports it picks are taken by the session's bed: it must retry with others.
    picks = []
    free_ports = realpeer_procs.free_ports

    def colliding_ports(count: int) -> list[int]:
        ports = free_ports(count)
        if not picks:
            ports[0] = dovecot_peer.ports.imap_tls
        picks.append(ports)
        return ports

    monkeypatch.setattr(realpeer_procs, "free_ports", colliding_ports)
    other = DovecotPeer(pool_size=3).start()
    assert len(picks) == 2 and other.ports.imap_tls == picks[1][0]
    try:
        layout = other.layout
        dovecot_pid = read_pid(layout.dovecot_run / "master.pid")
        postfix_pid = read_pid(layout.postfix_queue / "pid" / "master.pid")
        assert belongs_to(dovecot_pid, "dovecot", layout.root)
        assert belongs_to(postfix_pid, "master", layout.root)
        assert set(other.ports.__dict__.values()).isdisjoint(dovecot_peer.ports.__dict__.values())
        running = _processes_mentioning(layout.root.name)
        assert {dovecot_pid, postfix_pid} <= set(running) and len(running) > 4
        # Not the session bed's processes.
        assert not belongs_to(dovecot_pid, "dovecot", dovecot_peer.layout.root)
    finally:
        other.stop()
    assert not pid_alive(dovecot_pid)
    assert not pid_alive(postfix_pid)
    assert not layout.root.exists()
    # No child either (login processes, smtpd, qmgr...): they exit once their master has.
    deadline = time.monotonic() + 10
    while _processes_mentioning(layout.root.name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _processes_mentioning(layout.root.name) == []
    # The session's bed still answers.
    user = dovecot_peer.new_user()
    dovecot_peer.deliver(user, b"Subject: still here\r\n\r\n.\r\n")
    assert dovecot_peer.messages(user) == [b"Subject: still here\r\n\r\n.\r\n"]


def test_reap_stale_removes_only_beds_whose_session_died(tmp_path: Path):
    dead = tmp_path / "tuimail-peer-dead"
    alive = tmp_path / "tuimail-peer-alive"
    fresh = tmp_path / "tuimail-peer-being-set-up"
    for root in (dead, alive, fresh):
        (root / "dovecot" / "run").mkdir(parents=True)
    (dead / "owner.pid").write_text(f"{_dead_pid()}\n")
    (alive / "owner.pid").write_text(f"{os.getpid()}\n")
    # A PID file naming a live process that is not this bed's: never signalled.
    (dead / "dovecot" / "run" / "master.pid").write_text(f"{os.getpid()}\n")

    assert reap_stale(tmp_path) == [dead]
    assert not dead.exists() and alive.exists() and fresh.exists()
    assert pid_alive(os.getpid())
