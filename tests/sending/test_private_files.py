"""Files tuimail creates are private (umask 077), whatever the user's umask: after
`tuimail send` as the very first command nothing under the data directory is readable by
group or others; looser modes are tightened at start; temporary directories go at exit."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from tests.sending.helpers import account_for, with_password

LOOSE = 0o077  # any group or other permission


def _run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    """`python -m tuimail ARGS` started with the usual umask 022."""
    return subprocess.run(
        [sys.executable, "-m", "tuimail", *args],
        input=stdin,
        capture_output=True,
        timeout=90,
        check=False,
        preexec_fn=lambda: os.umask(0o022),
    )


def _loose(root: Path) -> list[str]:
    found = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & LOOSE:
            found.append(f"{path.relative_to(root.parent)} {mode:o}")
    return found


def test_send_as_the_first_command_leaves_nothing_readable_by_others(
    mail_server, tmp_path: Path
) -> None:
    alice, bob = mail_server.new_user(), mail_server.new_user()
    with_password(account_for(mail_server, alice, name="work"), tmp_path, alice.password)
    data = Path(os.environ["XDG_DATA_HOME"]) / "tuimail"
    assert not data.exists()  # nothing has run before
    message = f"From: {alice.email}\nTo: {bob.email}\nSubject: first\n\nhello\n".encode()
    result = _run("send", "--account", "work", stdin=message)
    assert result.returncode == 0, result.stderr.decode()
    mail_server.wait_for_message(bob, lambda raw: b"Subject: first" in raw, 20)
    created = [p for p in data.rglob("*") if p.is_file()]
    assert created, "send wrote nothing under the data directory"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        root = Path(os.environ[variable]) / "tuimail"
        if root.exists():
            assert _loose(root) == [], variable


def test_looser_store_wal_and_directories_are_tightened_at_start() -> None:
    data = Path(os.environ["XDG_DATA_HOME"]) / "tuimail"
    (data / "outbox").mkdir(parents=True)
    store = data / "store.sqlite3"
    conn = sqlite3.connect(store)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")  # -wal and -shm exist while it is open
    try:
        paths = [data, data / "outbox", store, Path(f"{store}-wal"), Path(f"{store}-shm")]
        for path in paths:
            path.chmod(0o755 if path.is_dir() else 0o644)
        assert len(_loose(data)) == len(paths)
        result = _run("account", "list")
        assert result.returncode == 0, result.stderr.decode()
        assert _loose(data) == []
        assert [stat.S_IMODE(p.stat().st_mode) for p in paths] == [0o700] * 2 + [0o600] * 3
    finally:
        conn.close()


def test_a_new_store_and_its_wal_files_are_created_private(tmp_path: Path) -> None:
    from tuimail.core.store import Store

    old = os.umask(0o022)
    try:
        store = Store(tmp_path / "new" / "store.sqlite3")
        store.conn.execute("SELECT 1")
    finally:
        os.umask(old)
    made = [p for p in (tmp_path / "new").iterdir()]
    assert {p.name for p in made} >= {"store.sqlite3", "store.sqlite3-wal"}
    assert _loose(tmp_path / "new") == []


def test_temporary_directories_are_removed_at_exit(tmp_path: Path) -> None:
    script = (
        "from tuimail.core.private import private_temp_dir\n"
        "from pathlib import Path\n"
        "d = Path(private_temp_dir('tuimail-open-'))\n"
        "(d / 'invoice.pdf').write_bytes(b'x')\n"
        "print(d)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, timeout=60, check=True
    )
    made = Path(result.stdout.decode().strip())
    assert made.name.startswith("tuimail-open-") and not made.exists()


def test_demo_removes_its_ca_and_server_key() -> None:
    from tuimail.ui.demo import Demo

    demo = Demo(new_mail_after=0)
    ca_dir = Path(demo.server.ca_file).parent
    keys = list(ca_dir.glob("*-key.pem"))
    assert keys and stat.S_IMODE(ca_dir.stat().st_mode) == 0o700
    demo.stop()
    assert not ca_dir.exists()
