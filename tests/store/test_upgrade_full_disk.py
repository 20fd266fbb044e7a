"""Migration 9 copies every cached body inside one transaction, so its WAL needs about
the body cache's size in free disk. On a disk without that room the upgrade rolls back:
the store is left as it was (schema 8, every byte), and `tuimail` says in one sentence how
much room it needs and where, without a traceback; with room made, the next start
upgrades it. Tried for real on a small tmpfs mounted in a mount namespace of its own
(unshare), with `tuimail list` run in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.store.old_stores import V8, add_v8_bodies
from tuimail.core.store.schema import MIGRATIONS

BODIES_MB = 4  # the body cache: more than the small disk has free, far less than 64 MB

# Run in a mount namespace: a 6 MB tmpfs as XDG_DATA_HOME holding the store; tuimail run
# on it full, then on the same tmpfs grown to 64 MB. Each run's streams and status and the
# store's content after it are written outside the tmpfs, to $OUT.
_SCRIPT = r"""
set -e
mount -t tmpfs -o size=6m,mode=0700 tmpfs "$XDG_DATA_HOME"
mkdir -m 700 "$XDG_DATA_HOME/tuimail"
cp "$OUT/store.sqlite3" "$XDG_DATA_HOME/tuimail/store.sqlite3"
for run in full roomy; do
    if [ "$run" = roomy ]; then mount -o remount,size=64m "$XDG_DATA_HOME"; fi
    set +e
    "$PYTHON" -m tuimail list >"$OUT/$run.out" 2>"$OUT/$run.err"
    echo $? >"$OUT/$run.rc"
    set -e
    "$PYTHON" -c "$DUMP" "$XDG_DATA_HOME/tuimail/store.sqlite3" >"$OUT/$run.dump"
done
"""

# What the store holds that an upgrade could lose, and its schema version.
_DUMP = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
print(conn.execute("PRAGMA user_version").fetchone()[0])
for row in conn.execute("SELECT message_id, fetched_at, hex(raw) FROM bodies ORDER BY 1"):
    print(*row)
for row in conn.execute("SELECT * FROM messages ORDER BY id"):
    print(*row)
"""


def _old_store_with_bodies(path: Path) -> None:
    """The schema 8 store (tests/data/stores) with BODIES_MB of bodies added, stored as
    schema 8 stored them (raw before fetched_at)."""
    shutil.copyfile(V8, path)
    add_v8_bodies(path, {3000 + i: bytes([i]) * (64 << 10) for i in range(BODIES_MB * 16)})


def _dump(path: Path) -> str:
    return subprocess.run(
        [sys.executable, "-c", _DUMP, str(path)], capture_output=True, text=True, check=True
    ).stdout


def _unshare_works() -> bool:
    probe = subprocess.run(
        ["unshare", "-rm", "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", "/mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    shutil.which("unshare") is None or not _unshare_works(),
    reason="no mount namespace for a small tmpfs (unshare -rm) on this system",
)
def test_an_upgrade_on_a_full_disk_says_how_much_room_and_loses_nothing(tmp_path: Path) -> None:
    out, data = tmp_path / "out", tmp_path / "data"
    out.mkdir()
    data.mkdir(mode=0o700)
    _old_store_with_bodies(out / "store.sqlite3")
    before = _dump(out / "store.sqlite3")
    assert before.splitlines()[0] == str(len(MIGRATIONS) - 1)  # schema 8
    env = dict(
        os.environ,
        XDG_DATA_HOME=str(data),
        OUT=str(out),
        PYTHON=sys.executable,
        DUMP=_DUMP,
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    subprocess.run(["unshare", "-rm", "sh", "-c", _SCRIPT], env=env, check=True, timeout=300)

    err = (out / "full.err").read_text()
    assert (out / "full.rc").read_text().strip() == "1", err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    # how much room (MB, more than the body cache) and where (the store's directory)
    assert f"{data}/tuimail" in err and " MB free" in err, err
    needed = int(err.split("needs about ")[1].split(" MB")[0])
    assert BODIES_MB < needed < 64, err
    assert (out / "full.dump").read_text() == before  # rolled back: as it was

    roomy = (out / "roomy.err").read_text()
    assert "needs about" not in roomy and "Traceback" not in roomy, roomy
    after = (out / "roomy.dump").read_text().splitlines()
    assert after[0] == str(len(MIGRATIONS))  # upgraded once there was room
    assert after[1:] == before.splitlines()[1:]  # every body and message kept
