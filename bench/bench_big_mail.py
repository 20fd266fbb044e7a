"""Benchmark: peak memory (max RSS) of whole tuimail processes handling one very large
message, against the bundled server (run in this process, so its memory is not counted).

  imap-fetch  `tuimail sync` of an account with download_bodies: a 56 MB message's body
              fetched over IMAP into the store
  pop3-fetch  `tuimail sync` of a POP3 account: the 56 MB message downloaded and stored
  forward     the 56 MB message forwarded as an attachment: forward() with
              as_attachment, message_bytes(), written to the outbox
  send        a message with a 30 MB attachment: message_bytes(), written to the outbox,
              sent over SMTP and its copy appended to Sent over IMAP

Each is run in a fresh child whose max RSS is read with getrusage (C allocations count),
next to the same run with a tiny message (the baseline). Memory, not time: the load
barely moves it. `tuimail read` of a big cached message: bench/bench_read_memory.py.

Usage: python bench/bench_big_mail.py [--size-mb 56] [--attach-mb 30] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # after PYTHONPATH: the tree measured

from bench.bench_read_memory import message, xdg_env  # noqa: E402

SCENARIOS = ("imap-fetch", "pop3-fetch", "forward", "send")

_ACCOUNT = """
from tuimail.core.account import Account, ServerSettings
from tuimail.core.config import save_account
save_account(Account(name="big", email={email!r}, username={login!r}, protocol={protocol!r},
    incoming=ServerSettings({host!r}, {incoming}, "tls"),
    outgoing=ServerSettings({host!r}, {outgoing}, "tls"), ca_file={ca!r},
    download_bodies=True, password_command={password!r}))
"""

_FORWARD = """
import sys
from tuimail.core import compose
from tuimail.core.config import load_config
from tuimail.core.outbox import Outbox
account = load_config().accounts["big"]
raw = open(sys.argv[1], "rb").read()
draft = compose.forward(raw, account, as_attachment=True)
draft.to = ["carol@example.test"]
data, sender, recipients = compose.message_bytes(draft, account)
Outbox(account.name).enqueue(data, sender, recipients)
"""

_SEND = """
import asyncio, sys
from tuimail.core import compose
from tuimail.core.config import load_config
from tuimail.core.outbox import Outbox
from tuimail.core.secrets import Secret
account = load_config().accounts["big"]
data = open(sys.argv[1], "rb").read()
draft = compose.Draft(to=[account.email], subject="big", body="Here it is.\\n",
    attachments=[compose.Attachment("big.pdf", data, "application/pdf")])
del data
raw, sender, recipients = compose.message_bytes(draft, account)
draft = None
outbox = Outbox(account.name)
entry = outbox.enqueue(raw, sender, recipients)
del raw
entry = asyncio.run(outbox.send(entry.id, account, Secret(sys.argv[2])))
assert entry.state == "sent", entry.state
"""


def _max_rss_mb(argv: list[str], env: dict[str, str]) -> float:
    """Max RSS (MB) of the process `argv`, run by a wrapper whose only child it is."""
    wrapper = (
        "import os, resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
        "if done.returncode: sys.exit(done.stderr.decode(errors='replace'))\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    return int(out.stdout.strip()) / 1024


def run(scenario: str, raw: bytes, server) -> float:
    """Max RSS (MB) of one scenario with `raw` as the message (or the attachment)."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = xdg_env(home)
        user = server.new_user()
        pop3 = scenario == "pop3-fetch"
        script = _ACCOUNT.format(
            email=user.email,
            login=user.login,
            protocol="pop3" if pop3 else "imap",
            host=server.host,
            incoming=server.ports.pop3_tls if pop3 else server.ports.imap_tls,
            outgoing=server.ports.smtp_tls,
            ca=server.ca_file,
            password="printf %s " + shlex.quote(user.password),
        )
        subprocess.run([sys.executable, "-c", script], env=env, check=True)
        path = home / "m.eml"
        path.write_bytes(raw)
        if scenario in ("imap-fetch", "pop3-fetch"):
            server.deliver(user, raw)
            return _max_rss_mb([sys.executable, "-m", "tuimail", "sync", "big"], env)
        if scenario == "forward":
            return _max_rss_mb([sys.executable, "-c", _FORWARD, str(path)], env)
        return _max_rss_mb([sys.executable, "-c", _SEND, str(path), user.password], env)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=56)
    parser.add_argument("--attach-mb", type=int, default=30)
    parser.add_argument("--only", nargs="*", default=list(SCENARIOS))
    args = parser.parse_args()
    from testserver.server import MailServer

    big = message("attachment", args.size_mb << 20)
    tiny = message("tiny", 0)
    attachment = os.urandom(args.attach_mb << 20)
    with MailServer() as server:
        for name in args.only:
            given = attachment if name == "send" else big
            what = f"{args.attach_mb} MB attachment" if name == "send" else f"{args.size_mb} MB"
            base = run(name, b"x" if name == "send" else tiny, server)
            peak = run(name, given, server)
            print(
                f"{name:10} {what:17}: max RSS {peak:4.0f} MB (tiny: {base:3.0f} MB, "
                f"+{peak - base:.0f} MB)"
            )


if __name__ == "__main__":
    main()
