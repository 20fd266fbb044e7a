"""`tuimail sync` run as the program ends its process without the interpreter's teardown
(issue 19), and loses nothing by it: everything printed reaches the reader, the exit
status is kept, the log is complete and the store is closed (its write-ahead log folded
back in), as after an ordinary exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.cli.helpers import configure
from tests.imap.helpers import account_for, message
from tests.sending.helpers import tuimail
from tuimail.core.config import save_account
from tuimail.core.logs import log_path
from tuimail.core.store.store import default_path

_ENDS_AT_ONCE = (
    "import atexit, sys\n"
    "class Finalised:\n"
    "    def __del__(self):\n"
    "        print('teardown ran', flush=True)\n"
    "kept = Finalised()\n"
    "atexit.register(print, 'atexit ran')\n"
    "sys.stdout.write('buffered ')\n"
    "from tuimail.cli.quick_exit import finish\n"
    "finish(3)\n"
    "print('finish returned')\n"
)

_ANOTHER_THREAD = (
    "import threading\n"
    "release = threading.Event()\n"
    "waiter = threading.Thread(target=release.wait)\n"
    "waiter.start()\n"
    "from tuimail.cli.quick_exit import finish\n"
    "finish(0)\n"
    "print('finish returned')\n"
    "release.set()\n"
)


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


def test_finish_flushes_runs_atexit_and_skips_the_teardown() -> None:
    proc = _python(_ENDS_AT_ONCE)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == "buffered atexit ran\n"  # no teardown, nothing after finish()


def test_finish_returns_while_another_thread_runs() -> None:
    proc = _python(_ANOTHER_THREAD)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "finish returned\n"


def test_finish_returns_under_a_profiler(tmp_path) -> None:
    script = tmp_path / "ends.py"
    script.write_text(_ENDS_AT_ONCE)
    profile = tmp_path / "profile.out"
    proc = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "finish returned" in proc.stdout and profile.stat().st_size > 0


def test_sync_as_the_program_keeps_output_status_log_and_store(mail_server) -> None:
    user = mail_server.new_user()
    for i in range(1, 4):
        mail_server.deliver(user, message(i, "quick exit"))
    configure(mail_server, user)
    synced = tuimail("sync", "--json")
    assert synced.returncode == 0, synced.stderr.decode()
    assert json.loads(synced.stdout)[0]["new"] == 3  # the whole output, parsed
    assert "sync: exit status 0" in log_path().read_text()  # the log's last line
    wal = default_path().with_name(default_path().name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # the store was closed
    listed = tuimail("list", "--json")
    assert listed.returncode == 0, listed.stderr.decode()
    assert len(json.loads(listed.stdout)) == 3


def test_a_failed_sync_as_the_program_keeps_its_status_and_sentence(mail_server) -> None:
    user = mail_server.new_user()
    account = account_for(mail_server, user)
    account.password_command = "printf %s wrong-password"
    save_account(account)
    failed = tuimail("sync")
    assert failed.returncode == 1
    assert failed.stderr.strip() and b"Traceback" not in failed.stderr


_COLLECTOR = (
    "import gc, sys, threading\n"
    "import tuimail.__main__ as entry\n"
    "seen = []\n"
    "entry._main = lambda *args: seen.append(gc.isenabled()) or 0\n"
    "release = threading.Event()\n"
    "threading.Thread(target=release.wait).start()  # so finish() returns\n"
    "sys.argv = ['tuimail', *sys.argv[1:]]\n"
    "status = entry.main()\n"
    "print(seen, gc.isenabled(), status)\n"
    "release.set()\n"
)


def test_the_collector_pauses_for_a_one_shot_command_only(tmp_path) -> None:
    """`tuimail sync` as the program runs without the collector's automatic runs (its
    start-up objects all stay: walking them was CPU for nothing); they are back if the
    process goes on after all, and other commands never lose them."""
    env = {f"XDG_{v}_HOME": str(tmp_path / v) for v in ("CONFIG", "DATA", "STATE", "CACHE")}
    env = dict(os.environ, **env)
    for command, during in (("sync", False), ("list", True)):
        proc = subprocess.run(
            [sys.executable, "-c", _COLLECTOR, command],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == f"[{during}] True 0\n"
