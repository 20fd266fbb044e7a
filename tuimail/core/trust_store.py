"""The system's trust anchors, loaded lazily where the platform allows it.

OpenSSL's defaults (`SSLContext.load_default_certs` on Linux and the BSDs) trust the
certificates of a bundle file (SSL_CERT_FILE, e.g. /etc/ssl/certs/ca-certificates.crt)
and of a hashed directory (SSL_CERT_DIR, e.g. /etc/ssl/certs with its `c_rehash` links).
The file is parsed whole when a context is made (~150 CAs: 20-50 ms of CPU, holding the
GIL); the directory is only read for the CA a handshake asks for.

Where every certificate of the bundle is also in the directory (Debian, Ubuntu, Alpine,
Arch: both are written from the same set by update-ca-certificates), the directory alone
is the same trust, so only it is loaded. Whatever the check finds, the context never
trusts more than the defaults would: the defaults always include the directory too.
Anything unexpected (no directory, a bundle with other blocks or certificates the
directory lacks, a file that cannot be read, an OpenSSL store URI in SSL_CERT_URI) falls
back to the defaults. The check reads the files once (~3 ms) and its verdict is kept for
later processes, until the bundle or the directory changes.
"""

from __future__ import annotations

import os
import re
import ssl
import threading

_BEGIN = b"-----BEGIN CERTIFICATE-----"
_HASHED_NAME = re.compile(r"[0-9a-f]{8}\.[0-9]+")  # what OpenSSL's lookup opens (CRLs: .r0)
_END = b"-----END CERTIFICATE-----"

# (cafile, capath, their stamps) -> whether the directory holds all of the file.
_VERDICTS: dict[tuple, bool] = {}
_LOCK = threading.Lock()


def load_system_trust(context: ssl.SSLContext) -> str:
    """Give `context` the system's trust anchors, as OpenSSL's defaults would; the way
    it was done: "directory" (lazily, the bundle's CAs are all there too) or "defaults"."""
    paths = ssl.get_default_verify_paths()  # SSL_CERT_FILE/SSL_CERT_DIR applied, existing only
    if (
        "SSL_CERT_URI" not in os.environ
        and paths.capath
        and (paths.cafile is None or _directory_covers(paths.cafile, paths.capath))
    ):
        context.load_verify_locations(capath=paths.capath)
        return "directory"
    context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    return "defaults"


def _directory_covers(cafile: str, capath: str) -> bool:
    """True when every certificate of `cafile` is one of `capath`'s hashed files."""
    key = (cafile, capath, _stamp(cafile), *(_stamp(d) for d in capath.split(os.pathsep)))
    with _LOCK:
        verdict = _VERDICTS.get(key)
    if verdict is None:
        verdict = _remembered(key)
        if verdict is None:
            try:
                verdict = _covers(cafile, capath)
            except (OSError, ValueError):
                verdict = False
            _remember(key, verdict)
        with _LOCK:
            _VERDICTS[key] = verdict
    return verdict


# The last verdict is kept in tuimail's cache directory for the next process (reading
# ~150 certificate files again cost every `tuimail sync` ~2.5 ms of CPU, issue 19): the
# key's repr (both paths and the stamps of the bundle and of the directory, which
# update-ca-certificates changes) and 0 or 1. A file that does not match, cannot be read
# or was tampered with only means checking again; and whatever it says, the context never
# trusts more than OpenSSL's defaults (the directory alone, or the defaults themselves).
_VERDICT_FILE = "system-trust"


def _verdict_path() -> str:
    from tuimail.core.config import cache_dir

    return os.path.join(cache_dir(), _VERDICT_FILE)


def _remembered(key: tuple) -> bool | None:
    try:
        with open(_verdict_path(), encoding="utf-8") as f:
            text = f.read(1 << 16)
    except (OSError, ValueError):
        return None
    said, _, verdict = text.rstrip("\n").rpartition("\n")
    if said != repr(key) or verdict not in ("0", "1"):
        return None
    return verdict == "1"


def _remember(key: tuple, verdict: bool) -> None:
    """Write the verdict (a new file renamed over the old one); never fails."""
    try:
        path = _verdict_path()
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        temporary = f"{path}.{os.getpid()}.{threading.get_ident()}"
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(f"{key!r}\n{int(verdict)}\n")
        os.replace(temporary, path)
    except (OSError, ValueError):
        pass


def _covers(cafile: str, capath: str) -> bool:
    with open(cafile, "rb") as f:
        wanted = _certificates(f.read())
    if not wanted:
        return False  # other blocks (CRLs, TRUSTED CERTIFICATE) or nothing: use the defaults
    found: set[bytes] = set()
    for directory in capath.split(os.pathsep):
        with os.scandir(directory) as entries:
            for entry in entries:
                if _HASHED_NAME.fullmatch(entry.name):
                    with open(entry.path, "rb") as f:
                        found |= _certificates(f.read()) or set()
    return wanted <= found


def _certificates(pem: bytes) -> set[bytes] | None:
    """The PEM certificate blocks of a file, byte for byte; None when it holds anything
    else (a block of another kind) or no certificate at all."""
    parts = pem.split(_END)
    blocks = set()
    for part in parts[:-1]:
        start = part.find(_BEGIN)
        if start < 0:
            return None
        blocks.add(part[start:])
    if not blocks or pem.count(b"-----BEGIN ") != len(parts) - 1:
        return None
    return blocks


def _stamp(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return ("missing",)
    return (st.st_ino, st.st_mtime_ns, st.st_size)
