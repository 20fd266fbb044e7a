"""The address book for completion: people you received mail from and wrote to, ranked by
how often and how recently, found by any word of their name or address with accents folded
("jose" finds "José Müller <jose@example.org>"), plus an optional `address_book_command`.

Kept in the store's own tables (component "addressbook"): `contacts` (one row per address)
and `contact_words` (folded word -> address, indexed), filled incrementally from the
messages table (only rows newer than the last scan are read), so a keystroke is one indexed
range query, never a LIKE scan of every message.

Invariants: every name and address is decoded (RFC 2047) and sanitised before it is kept;
the command runs without a shell (the typed text is one argument), with a timeout and
bounded output; its failure never breaks completion.
"""

from __future__ import annotations

import email.header
import email.utils
import shlex
import subprocess
import time
import unicodedata
from dataclasses import dataclass

from tuimail.core.sanitize import sanitize

MIGRATIONS = [
    """
    CREATE TABLE contacts (
        address TEXT PRIMARY KEY,          -- lower case
        shown TEXT NOT NULL,               -- the address as written
        name TEXT NOT NULL DEFAULT '',
        received INTEGER NOT NULL DEFAULT 0,
        sent INTEGER NOT NULL DEFAULT 0,
        last REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE contact_words (
        word TEXT NOT NULL,
        address TEXT NOT NULL,
        PRIMARY KEY (word, address)
    ) WITHOUT ROWID;
    CREATE TABLE contact_scan (id INTEGER PRIMARY KEY CHECK (id = 1), last_message INTEGER);
    INSERT INTO contact_scan(id, last_message) VALUES (1, 0);
    """,
]
COMMAND_TIMEOUT = 5.0
MAX_COMMAND_OUTPUT = 256 * 1024
SENT_WEIGHT = 3  # someone you wrote to ranks above someone who only wrote to you


@dataclass(frozen=True)
class Contact:
    address: str
    name: str = ""

    def formatted(self) -> str:
        if not self.name:
            return self.address
        name = self.name
        if any(c in name for c in '",;:<>@()[]\\'):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.address}>"


def fold(text: str) -> str:
    """Lower case without accents: "Zoë Müller" -> "zoe muller"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _decode(value: str) -> str:
    if "=?" not in value:
        return value
    try:
        parts = email.header.decode_header(value)
    except Exception:
        return value
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            try:
                out.append(chunk.decode(charset or "ascii", "replace"))
            except LookupError:
                out.append(chunk.decode("ascii", "replace"))
        else:
            out.append(chunk)
    return "".join(out)


def _words(name: str, address: str) -> set[str]:
    text = fold(f"{name} {address}")
    for sep in "<>@.,;:\"'()[]_-+":
        text = text.replace(sep, " ")
    words = {w for w in text.split() if w}
    words.add(fold(address))  # the whole address, for "jose@exa..."
    return {w[:64] for w in words}


class AddressBook:
    def __init__(self, store, own_addresses: set[str] | None = None) -> None:
        self.store = store
        self.own = {a.lower() for a in (own_addresses or set())}
        store.apply_component_migrations("addressbook", MIGRATIONS)

    # -- filling --------------------------------------------------------------------------

    def refresh(self, limit: int = 50_000) -> int:
        """Read messages stored since the last scan (at most `limit`); how many were read."""
        conn = self.store.conn
        last = conn.execute("SELECT last_message FROM contact_scan WHERE id = 1").fetchone()[0]
        rows = conn.execute(
            "SELECT m.id, m.from_name, m.from_addr, m.to_addrs, m.cc_addrs, m.date, f.role "
            "FROM messages m JOIN folders f ON f.id = m.folder_id WHERE m.id > ? "
            "ORDER BY m.id LIMIT ?",
            (last, limit),
        ).fetchall()
        if not rows:
            return 0
        seen: dict[str, list] = {}  # address -> [shown, name, received, sent, last]

        def note(name: str, address: str, kind: int, when: float) -> None:
            address = sanitize(_decode(address)).strip().strip("<>")
            if "@" not in address or len(address) > 320 or address.lower() in self.own:
                return
            name = sanitize(_decode(name)).strip().strip('"')[:200]
            entry = seen.setdefault(address.lower(), [address, "", 0, 0, 0.0])
            if name and name.lower() != address.lower():
                entry[1] = name
            entry[2 + kind] += 1
            entry[4] = max(entry[4], when)

        for _id, from_name, from_addr, to_addrs, cc_addrs, date, role in rows:
            when = float(date or 0)
            mine = role in ("sent", "drafts") or (from_addr or "").lower() in self.own
            if mine:
                for name, address in email.utils.getaddresses([to_addrs or "", cc_addrs or ""]):
                    note(name, address, 1, when)
            elif from_addr:
                note(from_name or "", from_addr, 0, when)
        with self.store.transaction() as c:
            for key, (shown, name, received, sent, when) in seen.items():
                c.execute(
                    "INSERT INTO contacts(address, shown, name, received, sent, last) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET "
                    "received = received + excluded.received, sent = sent + excluded.sent, "
                    "last = max(last, excluded.last), "
                    "name = CASE WHEN excluded.name != '' THEN excluded.name ELSE name END",
                    (key, shown, name, received, sent, when),
                )
                c.executemany(
                    "INSERT OR IGNORE INTO contact_words(word, address) VALUES (?, ?)",
                    [(w, key) for w in _words(name, shown)],
                )
            c.execute("UPDATE contact_scan SET last_message = ? WHERE id = 1", (rows[-1][0],))
        return len(rows)

    # -- looking up -----------------------------------------------------------------------

    def complete(self, typed: str, limit: int = 10, now: float | None = None) -> list[Contact]:
        """Contacts whose every typed word starts a word of their name or address."""
        words = [w for w in fold(typed).replace(",", " ").split() if w][:4]
        if not words:
            return []
        now = time.time() if now is None else now
        conn = self.store.conn
        first, *rest = sorted(words, key=len, reverse=True)
        rows = conn.execute(
            "SELECT c.address, c.shown, c.name, c.received, c.sent, c.last "
            "FROM contact_words w JOIN contacts c ON c.address = w.address "
            "WHERE w.word >= ? AND w.word < ? GROUP BY c.address LIMIT 2000",
            (first, first + "\U0010ffff"),
        ).fetchall()
        scored = []
        for _key, shown, name, received, sent, last in rows:
            if rest:
                have = _words(name, shown)
                if not all(any(h.startswith(w) for h in have) for w in rest):
                    continue
            age_days = max(0.0, (now - last) / 86400)
            score = (received + SENT_WEIGHT * sent) / (1.0 + age_days / 30)
            scored.append((score, Contact(shown, name)))
        scored.sort(key=lambda s: (-s[0], s[1].address))
        return [c for _, c in scored[:limit]]


def command_contacts(command: str, typed: str, timeout: float = COMMAND_TIMEOUT) -> list[Contact]:
    """`address_book_command` (as aerc's): run without a shell, `%s` replaced by the typed
    text (or it is appended); each output line is `address<TAB>name[<TAB>...]`."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return []
    if not argv:
        return []
    argv = [typed if a == "%s" else a.replace("%s", typed) for a in argv]
    if "%s" not in command:
        argv.append(typed)
    try:
        proc = subprocess.run(
            argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    out = []
    for line in proc.stdout[:MAX_COMMAND_OUTPUT].decode("utf-8", "replace").split("\n"):
        address, _, rest = line.partition("\t")
        address = sanitize(address).strip()
        if "@" not in address:
            continue
        name = sanitize(rest.partition("\t")[0]).strip()
        out.append(Contact(address, name))
        if len(out) >= 100:
            break
    return out
