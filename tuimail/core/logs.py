"""The log file (XDG state directory, rotated, private) and what may never be in it.

`setup()` is called once per process by the entry point. The file gets INFO (or DEBUG
with --debug); standard error gets the same only with --verbose/--debug. Invariants:

- no secret: every password tuimail holds is wrapped in `Secret`, which registers its
  value here, and `RedactFilter` replaces any registered value in every record; lines of
  a protocol conversation that carry credentials (IMAP LOGIN/AUTHENTICATE, SMTP AUTH and
  its continuation lines) are cut after the command name;
- no message content: tuimail's own records never include a body, and the one
  third-party line that would (imapclient's literal of an APPEND) is replaced by its size.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import sys
import threading
from pathlib import Path

import platformdirs

MAX_BYTES = 1_000_000
BACKUPS = 3
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
# Loggers that speak a protocol conversation at DEBUG (only shown with --debug).
PROTOCOL_LOGGERS = ("imapclient",)

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_CREDENTIAL_LINE = re.compile(r"(?i)(\b(?:LOGIN|AUTHENTICATE|AUTH|PASS|APOP)\b)[ \t]+\S.*")


_LITERAL = re.compile(r"(\{\d+\+?\})(?:\\r\\n|\r\n).*", re.S)


_BODY_ITEM = re.compile(r"(?i)\b(BODY\[[^\]]*\](?:<\d+>)?|RFC822|RFC822\.TEXT)[ \t]+[^)\s].*", re.S)


def _without_literal(message: str) -> str:
    """imapclient logs the first bytes of a literal (an APPENDed message, 8-bit search
    text): keep the command and the size, never the content. A server line carrying a
    body as a quoted string instead of a literal is cut after the item's name."""
    if "(literal)" in message:
        return "(literal not logged: message content)"
    message = _LITERAL.sub(r"\1 (literal not logged)", message)
    return _BODY_ITEM.sub(r"\1 (content not logged)", message)


REDACTED = "\u2022\u2022\u2022"  # "•••": no password can be built from it plus text


def remember_secret(value: str) -> None:
    """From now on `value` is written as ••• in every log record (values shorter than
    three characters are ignored: they would blank out ordinary words), and so is its
    base64 form inside any SASL string (see base64_cores)."""
    if value and len(value) >= 3 and set(value) != {"\u2022"}:
        cores = base64_cores(value)
        with _secrets_lock:
            _secrets.add(value)
            _secrets.update(cores)


def base64_cores(value: str) -> list[str]:
    """What every base64 encoding of a string holding `value` (AUTH PLAIN's
    "\\0login\\0password", AUTH LOGIN's password alone) contains of it, whatever comes
    before: for each of the three alignments, the characters of the 3-byte groups made
    of `value`'s bytes only. Replacing these leaves at most two bytes of it readable."""
    data = value.encode("utf-8", "surrogateescape")
    cores = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        first = 1 if offset else 0  # the group holding the padding is not the value's
        last = (offset + len(data)) // 3  # groups wholly made of the value's bytes
        core = encoded[4 * first : 4 * last]
        if len(core) >= 4:
            cores.append(core)
    return cores


def without_secrets(text: str) -> str:
    """`text` with every known secret (and its base64 forms) replaced by •••."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    if not secrets:
        return text
    for _ in range(len(secrets) + 1):  # a replacement can complete another occurrence
        found = [secret for secret in secrets if secret in text]
        if not found:
            break
        for secret in found:
            text = text.replace(secret, REDACTED)
    return text


def redact(text: str) -> str:
    """`text` with credentials removed: known secrets, and what follows LOGIN/AUTH/PASS."""
    return _CREDENTIAL_LINE.sub(r"\1 [redacted]", without_secrets(text))


class RedactFilter(logging.Filter):
    """Rewrites each record's final message without secrets or message content."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not stop logging
            message = str(record.msg)
        if record.name.startswith("imapclient"):
            message = _without_literal(message)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            # Keep the type and a redacted text; tracebacks can carry locals' reprs.
            exc = record.exc_info[1]
            record.msg += f" [{type(exc).__name__}: {redact(str(exc))}]"
            record.exc_info, record.exc_text = None, None
        return True


class _PrivateRotatingHandler(logging.FileHandler):
    """The log file, created 0600 whatever the umask, rotated to .1 .. .`backupCount`
    when a record would take it past `maxBytes` (logging.handlers.RotatingFileHandler's
    rule, without that module: it loads pickle, queue and socket, ~2.7 ms of every
    start, issue 19)."""

    def __init__(
        self, path: Path, *, maxBytes: int, backupCount: int, encoding: str, errors: str
    ) -> None:
        self.maxBytes = maxBytes
        self.backupCount = backupCount
        super().__init__(path, mode="a", encoding=encoding, errors=errors)

    def _open(self, *, afresh: bool = False):  # type: ignore[override]
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | (os.O_TRUNC if afresh else 0)
        fd = os.open(self.baseFilename, flags, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._full(record):
                self._rotate()
        except Exception:
            self.handleError(record)
            return
        super().emit(record)

    def _full(self, record: logging.LogRecord) -> bool:
        if self.maxBytes <= 0 or not os.path.isfile(self.baseFilename):
            return False  # never rotate anything but a regular file (/dev/null...)
        if self.stream is None:
            self.stream = self._open()
        self.stream.seek(0, os.SEEK_END)  # another process may have written meanwhile
        return self.stream.tell() + len(self.format(record)) + 1 >= self.maxBytes

    def _rotate(self) -> None:
        """tuimail.log becomes .1, .1 becomes .2 ...; the one past backupCount is gone.
        With backupCount 0 there is no older file to keep: tuimail.log starts afresh
        (reopened as it was, it stayed full, so every record reopened it, unbounded)."""
        if self.stream is not None:
            self.stream.close()
            self.stream = None  # type: ignore[assignment]
        if self.backupCount > 0:
            for i in range(self.backupCount - 1, 0, -1):
                older = f"{self.baseFilename}.{i}"
                if os.path.exists(older):
                    os.replace(older, f"{self.baseFilename}.{i + 1}")
            if os.path.exists(self.baseFilename):
                os.replace(self.baseFilename, f"{self.baseFilename}.1")
        self.stream = self._open(afresh=self.backupCount <= 0)


def log_path() -> Path:
    """$XDG_STATE_HOME/tuimail/tuimail.log (rotated to .1 .. .3 at 1 MB)."""
    return Path(platformdirs.user_state_dir("tuimail")) / "tuimail.log"


def setup(*, verbose: bool = False, debug: bool = False, console: bool = True) -> Path | None:
    """Log to the file (and to stderr when asked); returns the file, or None if it could
    not be opened (then only stderr, if asked)."""
    teardown()
    root = logging.getLogger()
    for name in ("", "tuimail", *PROTOCOL_LOGGERS):
        _saved_levels.setdefault(name, logging.getLogger(name).level)
    level = logging.DEBUG if debug else logging.INFO
    # Other libraries stay at INFO even with --debug: their debug output is not reviewed
    # for message content; tuimail's own and the protocol loggers go to DEBUG.
    root.setLevel(logging.INFO)
    logging.getLogger("tuimail").setLevel(level)
    for name in PROTOCOL_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    formatter = logging.Formatter(FORMAT)
    redactor = RedactFilter()
    path: Path | None = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_handler = _PrivateRotatingHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", errors="replace"
        )
    except OSError:
        path = None
    else:
        _add(root, file_handler, level, formatter, redactor)
    if console and (verbose or debug):
        _add(root, logging.StreamHandler(sys.stderr), level, formatter, redactor)
    return path


def teardown() -> None:
    """Remove what `setup` added and restore the levels (the process can go on, as the
    tests that call `tuimail.__main__.main` do)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_tuimail", False):
            root.removeHandler(handler)
            handler.close()
    for name, level in _saved_levels.items():
        logging.getLogger(name).setLevel(level)
    _saved_levels.clear()


_saved_levels: dict[str, int] = {}


def _add(root, handler, level, formatter, redactor) -> None:
    handler.setLevel(level)
    handler.setFormatter(formatter)
    handler.addFilter(redactor)
    handler._tuimail = True  # type: ignore[attr-defined]
    root.addHandler(handler)
