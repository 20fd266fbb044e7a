"""tuimail beside neomutt and mbsync on one private Dovecot, interleaved, with ratios.

    python bench/bench_vs.py                       # 10,000 messages, 3 rounds
    python bench/bench_vs.py --sizes 10000,100000 --rounds 5
    python bench/bench_vs.py --ab ../other-checkout  # also that tree's tuimail, same rounds

Needs root (the Dovecot bed of tests/fixtures/realpeer_bed.py) and the Debian packages
`neomutt` and `isync` (mbsync); they are benchmarks' tools, not test dependencies.

One Dovecot user's INBOX is filled once per size (MULTIAPPEND, three quarters of the subjects
and senders RFC 2047-encoded as in real mail, ~1.4 KB per message) and every client reads that
same mailbox. Each round runs every client once, one after the other, so all see the same load
(the machine is shared). For each child the script takes the wall time and, from wait4(), the
child's own CPU time (user + system; Dovecot's work is not in it) and peak RSS. Printed: the
median of the rounds and tuimail's ratio to the reference (below 1.00x = tuimail is faster).
With --ab TREE each round also runs the tuimail of another checkout (before/after a change,
against the same Dovecot in the same rounds), the three in rotating order; its line is
marked `(ab)`. Children run in the bed's directory: `python -m tuimail` puts the working
directory first on sys.path, so run from a checkout it would load that checkout, whatever
PYTHONPATH says.

Work compared:
  cold headers   neomutt with an empty header cache, from start to the first index drawn
                 (`push <quit>` runs once the index is up), vs `tuimail sync` into an empty store
                 (its cache directory, only the system trust store's verdict, is kept)
  warm start     neomutt with its header cache filled vs `tuimail list` from the synced store
                 (the app's own first paint is bench/bench_ui.py)
  no-change      mbsync with nothing new vs `tuimail sync` with nothing new
  bodies         mbsync of the whole INBOX into an empty Maildir vs `tuimail sync` with
                 download_bodies = true into an empty store
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def raw_message(i: int) -> bytes:
    """A message like real mail: encoded words in 3 of 4 subjects and senders."""
    if i % 4:
        subject = f"=?UTF-8?Q?R=C3=A9union_num=C3=A9ro_{i}?= about topic {i % 31}"
        sender = f"=?UTF-8?B?w4lsaXNl?= {i % 97} <sender{i % 97}@example.test>"
    else:
        subject = f"Benchmark message number {i} about topic {i % 31}"
        sender = f"Sender {i % 97} <sender{i % 97}@example.test>"
    return (
        f"From: {sender}\r\nTo: Reader <reader@example.test>\r\nCc: team{i % 7}@example.test\r\n"
        f"Subject: {subject}\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
        f"Message-ID: <bench{i}@example.test>\r\nReferences: <bench{max(i - 1, 1)}@example.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Some body text that nobody reads in a benchmark, long enough to matter.\r\n"
        * 16
    ).encode()


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float


def timed(
    argv: list[str], env: dict[str, str] | None = None, tty: bool = False, cwd: Path | None = None
) -> Run:
    """Run a child to its end: wall time here, its CPU (user+sys) and peak RSS from GNU
    time (a fork of this big Python would count this process's RSS as the child's)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        argv = ["/usr/bin/time", "-q", "-f", "%U %S %M", "-o", out.name, *argv]
        started = time.perf_counter()
        if tty:
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
            proc = subprocess.Popen(
                argv,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                start_new_session=True,
                cwd=cwd,
            )
            os.close(slave)
            drain = threading.Thread(target=_drain, args=(master,), daemon=True)
            drain.start()
        else:
            proc = subprocess.Popen(
                argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd
            )
        # A blocking wait (waitpid): Popen.wait(timeout=...) polls with sleeps of up to
        # 50 ms, which rounded every wall time to a step of ~0.05 s. A timer kills a hung child.
        watchdog = threading.Timer(900, proc.kill)
        watchdog.start()
        try:
            proc.wait()
        finally:
            watchdog.cancel()
        wall = time.perf_counter() - started
        if proc.returncode == -signal.SIGKILL:
            raise RuntimeError(f"{argv[6:10]} did not end within 900 s")
        if tty:
            drain.join(5)
        if proc.returncode:
            err = bytes(LAST_SCREEN) if tty else proc.stderr.read()
            raise RuntimeError(f"{argv[6:10]} failed: {err.decode(errors='replace')[-2000:]}")
        user, system, rss_kb = out.read().split()[-3:]
    return Run(wall, float(user) + float(system), int(rss_kb) / 1024)


LAST_SCREEN = bytearray()


def _drain(fd: int) -> None:
    LAST_SCREEN.clear()
    try:
        while chunk := os.read(fd, 65536):
            LAST_SCREEN.extend(chunk)
            del LAST_SCREEN[:-20000]
    except OSError:
        pass
    finally:
        os.close(fd)


class Bed:
    """The private Dovecot with one user whose INBOX holds n messages, and every client's
    configuration for it under one temporary directory."""

    def __init__(self, n: int) -> None:
        from imapclient import IMAPClient

        from tests.fixtures import realpeer_config
        from tests.fixtures.realpeer_bed import DovecotPeer
        from tuimail.core.tls import client_context

        self.n = n
        realpeer_config.QUOTA = "4G"  # the tests' 100 MB would refuse 100k messages
        self.peer = DovecotPeer().start()
        self.user = user = self.peer.new_user()
        self.host, self.port, self.ca = self.peer.host, self.peer.ports.imap_tls, self.peer.ca_file
        client = IMAPClient(self.host, port=self.port, ssl_context=client_context(self.ca))
        client.login(user.login, user.password)
        for start in range(1, n + 1, 1000):
            batch = [raw_message(i) for i in range(start, min(start + 1000, n + 1))]
            client.multiappend("INBOX", batch)
        client.select_folder("INBOX", readonly=True)
        client.fetch("1:*", ["UID", "FLAGS", "BODY.PEEK[HEADER]"])  # Dovecot's cache warmed
        client.logout()
        self.dir = Path(tempfile.mkdtemp(prefix="tuimail-bench-vs-"))
        self.muttrc = self._muttrc()
        self.mbsyncrc = self._mbsyncrc()

    def close(self) -> None:
        self.peer.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- neomutt ---------------------------------------------------------------------------
    def _muttrc(self) -> Path:
        rc = self.dir / "muttrc"
        rc.write_text(
            f'set folder="imaps://{self.host}:{self.port}/"\nset spoolfile="+INBOX"\n'
            f'set imap_user="{self.user.login}"\nset imap_pass="{self.user.password}"\n'
            f'set ssl_ca_certificates_file="{self.ca}"\n'
            f'set header_cache="{self.dir}/hcache/"\nset message_cachedir="{self.dir}/mcache/"\n'
            "set imap_check_subscribed=no\nset mail_check_stats=no\nset imap_idle=no\n"
            "set quit=yes\nset beep=no\nset sort=date\nset sleep_time=0\n"
        )
        return rc

    def neomutt(self, cold: bool) -> Run:
        if cold:
            shutil.rmtree(self.dir / "hcache", ignore_errors=True)
        (self.dir / "hcache").mkdir(exist_ok=True)
        env = dict(os.environ, TERM="xterm-256color", HOME=str(self.dir))
        argv = ["neomutt", "-n", "-F", str(self.muttrc), "-e", "push <quit>"]
        return timed(argv, env=env, tty=True)

    # -- mbsync ----------------------------------------------------------------------------
    def _mbsyncrc(self) -> Path:
        rc = self.dir / "mbsyncrc"
        rc.write_text(
            f"IMAPAccount bench\nHost {self.host}\nPort {self.port}\nUser {self.user.login}\n"
            f"Pass {self.user.password}\nSSLType IMAPS\nCertificateFile {self._trusted()}\n\n"
            "IMAPStore far\nAccount bench\n\n"
            f"MaildirStore near\nPath {self.dir}/maildir/\nInbox {self.dir}/maildir/INBOX\n\n"
            "Channel bench\nFar :far:\nNear :near:\nPatterns INBOX\nCreate Near\nSync Pull\n"
            "SyncState *\n"
        )
        return rc

    def _trusted(self) -> Path:
        """isync 1.4 matches a host name against DNS names and the CN only, never an IP
        address SAN: it is given the server's own certificate, which it then trusts as is."""
        trusted = self.dir / "mbsync-trusted.pem"
        trusted.write_text(Path(self.ca).read_text() + Path(self.peer._cert).read_text())
        return trusted

    def mbsync(self, cold: bool) -> Run:
        if cold:
            shutil.rmtree(self.dir / "maildir", ignore_errors=True)
        (self.dir / "maildir").mkdir(exist_ok=True)
        env = dict(os.environ, HOME=str(self.dir))
        return timed(["mbsync", "-q", "-c", str(self.mbsyncrc), "-a"], env=env)

    # -- tuimail ---------------------------------------------------------------------------
    def _tuimail_env(
        self, name: str, bodies: bool, cold: bool, tree: Path = REPO
    ) -> dict[str, str]:
        from tuimail.core.account import Account, ServerSettings

        root = self.dir / f"tuimail-{name}"
        if cold:
            # An empty mail store. The cache directory is kept: it holds only the verdict
            # on the system's trust store (tuimail.core.trust_store), a fact about this
            # machine that the account's setup (account add, detect, login check) has
            # written before any first sync of a real account.
            shutil.rmtree(root / "data", ignore_errors=True)
        env = dict(os.environ, HOME=str(root), PYTHONPATH=str(tree))
        # As installed (pip compiles to .pyc): bytecode kept between runs, outside the tree.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(self.dir / "pycache")
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        for var in ("CONFIG", "DATA", "CACHE", "STATE"):
            env[f"XDG_{var}_HOME"] = str(root / var.lower())
        if not (root / "config").exists():
            account = Account(
                name="bench",
                email=f"{self.user.login}@example.test",
                username=self.user.login,
                incoming=ServerSettings(host=self.host, port=self.port, security="tls"),
                outgoing=ServerSettings(host=self.host, port=self.port, security="tls"),
                ca_file=self.ca,
                download_bodies=bodies,
                password_command=f"printf %s {self.user.password}",
            )
            code = (
                "from tuimail.core.config import save_account; import pickle, sys; "
                "save_account(pickle.loads(sys.stdin.buffer.read()))"
            )
            import pickle

            subprocess.run(
                [sys.executable, "-c", code],
                input=pickle.dumps(account),
                env=env,
                check=True,
                cwd=self.dir,
            )
        return env

    def tuimail(
        self,
        *args: str,
        name: str,
        bodies: bool = False,
        cold: bool = False,
        tree: Path | None = None,
    ) -> Run:
        """`tuimail ARGS` of this checkout, or of `tree` (--ab: its own data and config)."""
        if tree is not None:
            name = f"{name}-ab"
        env = self._tuimail_env(name, bodies, cold, tree or REPO)
        return timed([sys.executable, "-m", "tuimail", *args], env=env, cwd=self.dir)


WORK = [
    # (label, reference name, reference run, tuimail run (bed, other tree or None))
    (
        "cold headers",
        "neomutt",
        lambda b: b.neomutt(cold=True),
        lambda b, t: b.tuimail("sync", name="headers", cold=True, tree=t),
    ),
    (
        "warm start",
        "neomutt",
        lambda b: b.neomutt(cold=False),
        lambda b, t: b.tuimail("list", "--limit", "50", name="headers", tree=t),
    ),
    (
        "no-change sync",
        "mbsync",
        lambda b: b.mbsync(cold=False),
        lambda b, t: b.tuimail("sync", name="headers", tree=t),
    ),
    (
        "cold bodies",
        "mbsync",
        lambda b: b.mbsync(cold=True),
        lambda b, t: b.tuimail("sync", name="bodies", bodies=True, cold=True, tree=t),
    ),
]


def bench(n: int, rounds: int, skip: set[str], ab: Path | None = None) -> list[str]:
    bed = Bed(n)
    try:
        work = [w for w in WORK if w[0] not in skip]
        runs: dict[tuple[str, str], list[Run]] = {}
        for w in work:  # warm-ups: every cache and Maildir exists before round 1 (not counted)
            w[2](bed)
            w[3](bed, None)
            if ab is not None:
                w[3](bed, ab)
        for i in range(rounds):
            for label, ref, ref_run, ours in work:
                who = [
                    (ref, lambda r=ref_run: r(bed)),
                    ("tuimail", lambda o=ours: o(bed, None)),
                ]
                if ab is not None:  # the three in rotating order: none always runs first
                    who.append(("ab", lambda o=ours: o(bed, ab)))
                    who = who[i % 3 :] + who[: i % 3]
                for name, run in who:
                    runs.setdefault((label, name), []).append(run())
        lines = []
        for label, ref, _r, _o in work:
            lines.append(_line(n, label, ref, runs[(label, ref)], runs[(label, "tuimail")]))
            if ab is not None:
                lines.append(_line(n, label, ref, runs[(label, ref)], runs[(label, "ab")], "(ab)"))
        return lines
    finally:
        bed.close()


def _med(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(r, field) for r in runs)


def _line(n: int, label: str, ref: str, a: list[Run], b: list[Run], mark: str = "") -> str:
    cells = [f"{n:>7} {label:<15} {ref:<8}" + (f" {mark}" if mark else "")]
    for field, unit in (("wall", "s"), ("cpu", "s"), ("rss_mb", "MB")):
        x, y = _med(a, field), _med(b, field)
        cells.append(f"{x:7.2f} {unit:<2} {y:7.2f} {unit:<2} {y / x if x else 0:5.2f}x")
    return " | ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated labels to leave out")
    parser.add_argument(
        "--ab",
        type=lambda tree: Path(tree).resolve(),
        metavar="TREE",
        help="also run the tuimail of this other checkout in the same rounds (its lines: (ab))",
    )
    args = parser.parse_args()
    for tool in ("neomutt", "mbsync"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install neomutt isync)")
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.1f}; medians of {args.rounds} interleaved rounds")
    print(
        f"{'msgs':>7} {'work':<15} {'ref':<8} | {'wall: ref':>10} {'tuimail':>10} {'ratio':>6} | "
        f"{'CPU: ref':>10} {'tuimail':>10} {'ratio':>6} | {'RSS: ref':>10} {'tuimail':>10} {'ratio':>6}"
    )
    skip = set(filter(None, args.skip.split(",")))
    for n in (int(s) for s in args.sizes.split(",")):
        for line in bench(n, args.rounds, skip, args.ab):
            print(line, flush=True)


if __name__ == "__main__":
    main()
