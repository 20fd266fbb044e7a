"""Messages out of tuimail: saved as .eml files, or piped to a command the user typed.

* :func:`save_eml` writes each message's raw bytes unchanged into new files (0600), never
  overwriting one: a name taken gets " (2)", " (3)"...
* :func:`pipe_input` is what goes on the command's stdin: one message as it is; several as
  an mbox (``From `` separators, mboxrd quoting), which ``git am`` and ``formail`` read.
* :func:`run_pipe` runs the user's command through ``sh -c`` (the user typed it; the message
  only ever travels on stdin, never on the command line or in the environment).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tuimail.core.sanitize import sanitize_filename

MAX_NAME = 80
OUTPUT_KEPT = 64 * 1024  # bytes of a piped command's captured output kept (its end)
PIPE_TIMEOUT = 600.0  # seconds: a command still running after this is stopped


def eml_name(subject: str) -> str:
    """A file name for a message: its subject, made safe, with .eml."""
    stem = sanitize_filename(
        (subject or "").replace("/", "-").replace("\\", "-"), default="message"
    )
    stem = stem[:MAX_NAME].rstrip(" .") or "message"
    return stem + ".eml"


def _free(path: Path) -> Path:
    if not path.exists():
        return path
    for n in range(2, 10_000):
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(path)


def save_eml(messages: Sequence[tuple[str, bytes]], target: str | Path) -> list[Path]:
    """Save (subject, raw) pairs. One message and `target` not an existing directory:
    `target` is the file (".eml" added when it has no suffix); otherwise `target` is a
    directory (made if needed) and each message is named after its subject."""
    target = Path(target).expanduser()
    if len(messages) == 1 and not target.is_dir() and not str(target).endswith(os.sep):
        if not target.suffix:
            target = target.with_suffix(".eml")
        target.parent.mkdir(parents=True, exist_ok=True)
        paths = [(target, messages[0][1])]
    else:
        target.mkdir(parents=True, exist_ok=True)
        paths = [(target / eml_name(subject), raw) for subject, raw in messages]
    return [_write_new(path, raw) for path, raw in paths]


def _write_new(path: Path, raw: bytes) -> Path:
    """Write to `path` or the first free "name (n).eml": created exclusively, 0600."""
    while True:
        path = _free(path)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # taken meanwhile: the next free name
            continue
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
        return path


_FROM_LINE = re.compile(rb"^(>*From )", re.M)


def pipe_input(raws: Sequence[bytes]) -> bytes:
    """One message unchanged; several as an mboxrd mailbox."""
    if len(raws) == 1:
        return raws[0]
    out = bytearray()
    for raw in raws:
        body = raw.replace(b"\r\n", b"\n")
        out += b"From tuimail Thu Jan  1 00:00:00 1970\n"
        out += _FROM_LINE.sub(rb">\1", body)
        if not body.endswith(b"\n"):
            out += b"\n"
        out += b"\n"
    return bytes(out)


@dataclass(frozen=True)
class PipeResult:
    status: int  # the command's exit status (-1: it could not run or timed out)
    output: str  # what it printed (stdout and stderr), decoded, for a notification
    # Why there is no exit status (status -1): "timeout" (stopped after `seconds`) or
    # "not-run" (`error`: the system's own words); worded at the edge (tuimail.words).
    failure: str = ""
    error: str = ""
    seconds: float = 0.0


def run_pipe(command: str, data: bytes, *, capture: bool = True) -> PipeResult:
    """Run `command` (sh -c) with `data` on stdin. With `capture` false the command uses
    the terminal (the app is suspended around this call)."""
    try:
        done = subprocess.run(
            ["sh", "-c", command],
            input=data,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.STDOUT if capture else None,
            timeout=PIPE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return PipeResult(-1, "", "timeout", seconds=PIPE_TIMEOUT)
    except OSError as exc:
        return PipeResult(-1, "", "not-run", exc.strerror or type(exc).__name__)
    # only the end is ever shown: a command printing megabytes keeps its last OUTPUT_KEPT
    text = (done.stdout or b"")[-OUTPUT_KEPT:].decode("utf-8", "replace")
    return PipeResult(done.returncode, text)
