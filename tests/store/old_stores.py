"""A store as tuimail wrote it at schema 8 (tests/data/stores/store_v8.sqlite3, made by
make_store_v8.py), for the tests of migration 9, and bodies added to it as schema 8
stored them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

V8 = Path(__file__).resolve().parents[1] / "data" / "stores" / "store_v8.sqlite3"


def add_v8_bodies(path: Path, bodies: dict[int, bytes]) -> None:
    """A message (folder 1, subject "big") for each id of `bodies` with its body, written
    as schema 8 wrote it: raw before fetched_at."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO messages(id, folder_id, uid, subject) VALUES (?, 1, ?, 'big')",
                [(mid, mid) for mid in bodies],
            )
            conn.executemany(
                "INSERT INTO bodies(message_id, raw, fetched_at) VALUES (?, ?, 1.0)",
                bodies.items(),
            )
    finally:
        conn.close()
