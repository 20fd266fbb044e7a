"""Benchmark: peak memory (max RSS) of `tuimail read` on one big message, by shape.

Each shape is a ~56 MB message stored (body cached) in a fresh store; `python -m tuimail
read 1` runs in a child process with its output to /dev/null, and the child's max RSS is
reported (getrusage of the children), with the baseline of `tuimail read` on a tiny
message for comparison. Memory, not time: the machine's load does not change it much.

With --uncached the body is not in the store: `tuimail read` fetches it from the bundled
IMAP server (run in this process) first, as for a message never opened.

Usage: python bench/bench_read_memory.py [--size-mb 56] [--shape attachment|text|html|all]
       [--uncached]
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAD = (
    b"From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: big\r\n"
    b"Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <big@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
)


def message(shape: str, size: int) -> bytes:
    if shape == "tiny":
        return HEAD + b"Content-Type: text/plain\r\n\r\nhello\r\n"
    if shape == "text":
        line = b"The quick brown fox jumps over the lazy dog, again and again. 0123456789\r\n"
        return (
            HEAD + b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + line * (size // len(line))
        )
    if shape == "html":
        row = (
            b"<tr><td><a href='https://example.com/x'>a link</a> and <b>some</b> text</td></tr>\r\n"
        )
        body = b"<html><body><table>" + row * (size // len(row)) + b"</table></body></html>\r\n"
        return HEAD + b"Content-Type: text/html; charset=utf-8\r\n\r\n" + body
    payload = base64.encodebytes(os.urandom(size * 3 // 4)).replace(b"\n", b"\r\n")
    return (
        HEAD + b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
        b"Content-Type: text/plain\r\n\r\nSee the attachment.\r\n--b1\r\n"
        b'Content-Type: application/pdf; name="big.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + payload + b"--b1--\r\n"
    )


def xdg_env(home: Path) -> dict[str, str]:
    """The environment of a tuimail whose directories are all under `home`."""
    env = dict(os.environ)
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHONPATH=str(ROOT),
    )
    return env


def prepare(home: Path, raw: bytes) -> dict[str, str]:
    """An account `big` whose INBOX holds `raw` as UID 1, its body in the store."""
    env = xdg_env(home)
    script = f"""
import sys
from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import save_account
from tuimail.core.store import Store
from tuimail.core.store.store import NewMessage
raw = open({str(home / "m.eml")!r}, "rb").read()
here = ServerSettings("127.0.0.1", 9, "tls")
save_account(Account(name="big", email="bob@example.test", incoming=here, outgoing=here))
store = Store()
folder = store.upsert_folder("big", "INBOX")
header = raw.split(b"\\r\\n\\r\\n", 1)[0] + b"\\r\\n\\r\\n"
(mid,) = store.add_messages(folder, [NewMessage(1, (), header, len(raw), 0.0)])
store.save_body(mid, raw)
store.close()
"""
    (home / "m.eml").write_bytes(raw)
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    return env


def peak_rss_mb(env: dict[str, str]) -> float:
    """Max RSS (MB) of `python -m tuimail read 1`: run by a small wrapper process whose
    only child it is, so getrusage of its children is that one process's."""
    wrapper = (
        "import os, resource, subprocess, sys\n"
        "null = open(os.devnull, 'wb')\n"
        "done = subprocess.run([sys.executable, '-m', 'tuimail', 'read', '1', '--account', "
        "'big'], stdout=null, stderr=subprocess.PIPE)\n"
        "if done.returncode: sys.exit(done.stderr.decode(errors='replace'))\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip()) / 1024


def measure(shape: str, size: int) -> float:
    """Max RSS (MB) of `tuimail read` on one message of `shape` in a fresh store."""
    with tempfile.TemporaryDirectory() as tmp:
        env = prepare(Path(tmp), message(shape, size))
        return peak_rss_mb(env)


def measure_uncached(shape: str, size: int) -> float:
    """Max RSS (MB) of `tuimail read` that fetches the message from the bundled IMAP
    server first (the body not in the store yet): the server runs in this process."""
    import shlex

    from testserver.server import MailServer

    with tempfile.TemporaryDirectory() as tmp, MailServer() as server:
        home = Path(tmp)
        env = xdg_env(home)
        user = server.new_user()
        server.deliver(user, message(shape, size))
        script = f"""
from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import save_account
save_account(Account(name="big", email={user.email!r}, username={user.login!r},
    incoming=ServerSettings({server.host!r}, {server.ports.imap_tls}, "tls"),
    outgoing=ServerSettings({server.host!r}, {server.ports.smtp_tls}, "tls"),
    ca_file={server.ca_file!r},
    password_command={"printf %s " + shlex.quote(user.password)!r}))
"""
        subprocess.run([sys.executable, "-c", script], env=env, check=True)
        sync = [sys.executable, "-m", "tuimail", "sync", "big"]
        subprocess.run(sync, env=env, check=True, capture_output=True)
        return peak_rss_mb(env)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=56)
    parser.add_argument("--shape", default="all")
    parser.add_argument(
        "--uncached", action="store_true", help="fetch the body from the bundled server first"
    )
    args = parser.parse_args()
    size = args.size_mb << 20
    shapes = ["attachment", "text", "html"] if args.shape == "all" else [args.shape]
    how = measure_uncached if args.uncached else measure
    what = "fetched and read" if args.uncached else "read"
    print(f"tuimail read, tiny message: max RSS {measure('tiny', 0):.0f} MB")
    for shape in shapes:
        print(f"tuimail {what}, {args.size_mb} MB {shape}: max RSS {how(shape, size):.0f} MB")


if __name__ == "__main__":
    main()
