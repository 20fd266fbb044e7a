"""Viewing an attachment over SSH: in the reader, in a pager, or in the terminal.

`plan_view` decides, for one attachment:

* text-like parts (text/*, JSON, XML, patches, shell, calendars...) -> "text": shown in
  the reader, decoded with their charset, sanitised;
* a mailcap entry with `copiousoutput` -> "pager": the command's output, shown in the
  reader (its output is untrusted too: sanitised);
* a mailcap entry with `needsterminal` -> "terminal": the app steps aside and runs it;
* another mailcap entry -> "viewer" when there is a display (a graphical program);
* nothing usable -> "saved": the file stays in a private temporary directory.

The file is written under a fixed safe name (``attachment`` plus a letters-only
extension) in a private directory, so a mailcap command never sees a name chosen by the
sender. Mailcap comes from the standard library up to Python 3.12 and from the
`standard-mailcap` package from 3.13 on. Mailcap commands are shell commands by design
(they are the user's own); only our safe path is substituted into them.
"""

from __future__ import annotations

import os
import re
import subprocess
import warnings
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from pathlib import Path

from tuimail.core.sanitize import sanitize

TEXT_TYPES = {
    "application/json",
    "application/xml",
    "application/x-sh",
    "application/x-shellscript",
    "application/x-patch",
    "application/x-diff",
    "application/pgp-signature",
    "application/pgp-keys",
    "application/javascript",
    "application/ics",
    "application/yaml",
    "application/toml",
    "message/delivery-status",
}
PAGER_TIMEOUT = 30.0
MAX_TEXT = 2 * 1024 * 1024


@dataclass
class ViewPlan:
    kind: str  # "text", "pager", "terminal", "viewer", "saved"
    text: str = ""  # "text"/"pager": what the reader shows (sanitised)
    command: str = ""  # "terminal"/"viewer": the mailcap command (sh -c)
    path: Path | None = None
    # "saved": why it was not shown ("mailcap-unfinished": the copiousoutput command
    # failed or timed out; "": no viewer for it here). Worded at the edge.
    reason: str = ""


def base_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def is_text_like(content_type: str) -> bool:
    kind = base_type(content_type)
    return (
        kind.startswith("text/")
        or kind in TEXT_TYPES
        or kind.endswith(("+json", "+xml"))
        or kind == "message/rfc822"
    )


def _charset(content_type: str) -> str:
    found = re.search(r"charset\s*=\s*\"?([A-Za-z0-9_.:-]+)", content_type, re.I)
    return found.group(1) if found else "utf-8"


def decode_text(payload: bytes, content_type: str) -> str:
    """The part's text: its charset, else UTF-8, else Latin-1 (never fails)."""
    payload = payload[:MAX_TEXT]
    for charset in (_charset(content_type), "utf-8"):
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def _mailcap():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import mailcap  # the stdlib's until 3.12; standard-mailcap's from 3.13
        except ImportError:
            return None
    return mailcap


def mailcap_entry(content_type: str, path: Path) -> tuple[str, dict] | None:
    """(command, entry) of the user's mailcap for this type and file, or None."""
    mailcap = _mailcap()
    if mailcap is None:
        return None
    try:
        caps = mailcap.getcaps()
        command, entry = mailcap.findmatch(caps, base_type(content_type), filename=str(path))
    except Exception:  # a broken mailcap file is no mailcap
        return None
    return (command, entry) if command else None


def _safe_path(directory: Path, filename: str) -> Path:
    ext = Path(filename or "").suffix.lstrip(".")
    ext = ext if re.fullmatch(r"[A-Za-z0-9]{1,10}", ext or "") else "bin"
    path = directory / f"attachment.{ext.lower()}"
    n = 1
    while path.exists():
        n += 1
        path = directory / f"attachment-{n}.{ext.lower()}"
    return path


def plan_view(
    filename: str, content_type: str, payload: bytes, directory: Path, *, display: bool
) -> ViewPlan:
    """How to show this attachment (see the module docstring); may run a copiousoutput
    command (it only reads the file) and write the file into `directory`."""
    if is_text_like(content_type):
        return ViewPlan("text", sanitize(decode_text(payload, content_type), multiline=True))
    path = _safe_path(directory, filename)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(payload)
    found = mailcap_entry(content_type, path)
    if found is None:
        return ViewPlan("saved", path=path)
    command, entry = found
    if "copiousoutput" in entry:
        try:
            done = subprocess.run(
                ["sh", "-c", command],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=PAGER_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return ViewPlan("saved", path=path, reason="mailcap-unfinished")
        text = decode_text(done.stdout, "utf-8")
        return ViewPlan("pager", sanitize(text, multiline=True), command=command, path=path)
    if "needsterminal" in entry:
        return ViewPlan("terminal", command=command, path=path)
    if display:
        return ViewPlan("viewer", command=command, path=path)
    return ViewPlan("saved", path=path)


def html_alternative(raw: bytes) -> str | None:
    """The HTML of a message that has both a plain and an HTML version, as text (links
    numbered); None when it has no such pair."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:
        return None
    for part in msg.walk():
        if part.get_content_type() != "multipart/alternative":
            continue
        kinds = {p.get_content_type(): p for p in part.iter_parts()}
        if "text/html" in kinds and "text/plain" in kinds:
            html = kinds["text/html"]
            payload = html.get_payload(decode=True) or b""
            text = decode_text(payload, str(html.get("content-type", "")))
            from tuimail.core.mime.html import html_to_text

            converted = html_to_text(text)
            body = converted.text
            if converted.links:
                body += "\n\n" + "\n".join(f"[{i}] {u}" for i, u in enumerate(converted.links, 1))
            return sanitize(body, multiline=True)
    return None
