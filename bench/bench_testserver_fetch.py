"""Benchmark: the bundled IMAP server answering
`UID FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE INTERNALDATE)` on a 10,000-message folder.

The server runs in a child process, so its peak RSS is its own. Prints the server's time
(raw socket, cold = envelopes parsed, then cached), the time through imapclient (which
includes imapclient's own parsing), and the server's peak RSS.
Target from issue 2: under 3 s and under 300 MB.

    python bench/bench_testserver_fetch.py [--count 10000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import socket
import ssl
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import imapclient

from testserver.server import MailServer

NAMES = ["Alice Example", "Bob Müller", "Carol Ng", "Dave O'Brien", "Eve Łukasz", "Frank Zhou"]
WORDS = "meeting report invoice lunch project update review draft budget travel".split()


def make_message(i: int, rng: random.Random) -> tuple[bytes, list[str], datetime]:
    sender = rng.choice(NAMES)
    to = rng.choice(NAMES)
    date = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=37 * i)
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 7)))
    body = "\r\n".join(
        " ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(rng.randint(3, 40))
    )
    raw = (
        f"From: {sender} <{sender.split()[0].lower()}@example.test>\r\n"
        f"To: {to} <{to.split()[0].lower()}@example.test>\r\n"
        f"Cc: team@example.test\r\n"
        f"Subject: =?utf-8?q?{subject.replace(' ', '_')}?= #{i}\r\n"
        f"Date: {format_datetime(date)}\r\n"
        f"Message-ID: <msg{i}@example.test>\r\n"
        + (f"In-Reply-To: <msg{i - 1}@example.test>\r\n" if i % 3 else "")
        + "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n" + body + "\r\n"
    ).encode()
    flags = ["\\Seen"] if rng.random() < 0.7 else []
    if rng.random() < 0.05:
        flags.append("\\Flagged")
    return raw, flags, date


def serve(count: int, conn) -> None:
    """Child process: run the server with `count` messages; report ports, then RSS."""
    rng = random.Random(42)
    with MailServer(protocols=("imap",)) as server:
        user = server.new_user()
        server.store.bulk_append(user.login, "INBOX", (make_message(i, rng) for i in range(count)))
        conn.send((server.host, server.ports.imap_tls, server.ca_file, user.login, user.password))
        conn.recv()  # the parent is done
        conn.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def raw_fetch(sock_file, sock) -> tuple[float, int]:
    """Time until the tagged OK, reading bytes only (the server's share of the work)."""
    start = time.perf_counter()
    sock.sendall(COMMAND)
    received = 0
    while True:
        line = sock_file.readline()
        if not line:
            raise RuntimeError("connection closed")
        received += len(line)
        if line.startswith(b"f OK"):
            return time.perf_counter() - start, received
        if line.startswith(b"f "):
            raise RuntimeError(line.decode())


COMMAND = b"f UID FETCH 1:* (FLAGS ENVELOPE RFC822.SIZE INTERNALDATE)\r\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=serve, args=(args.count, child), daemon=True)
    t0 = time.perf_counter()
    process.start()
    host, port, ca_file, login, password = parent.recv()
    print(f"server up with {args.count} messages in {time.perf_counter() - t0:.1f} s")
    context = ssl.create_default_context(cafile=ca_file)

    # 1. raw socket: the server's own time, cold (envelopes parsed) then cached.
    sock = context.wrap_socket(socket.create_connection((host, port)), server_hostname=host)
    sock_file = sock.makefile("rb")
    sock_file.readline()
    sock.sendall(f"a LOGIN {login} {password}\r\nb EXAMINE INBOX\r\n".encode())
    while not sock_file.readline().startswith(b"b OK"):
        pass
    cold, size = raw_fetch(sock_file, sock)
    warm, _ = raw_fetch(sock_file, sock)
    sock.close()

    # 2. imapclient over TLS, as the client will use it (includes its parsing).
    client = imapclient.IMAPClient(host, port=port, ssl_context=context, timeout=60)
    client.login(login, password)
    client.select_folder("INBOX", readonly=True)
    start = time.perf_counter()
    result = client.fetch("1:*", ["FLAGS", "ENVELOPE", "RFC822.SIZE", "INTERNALDATE"])
    with_client = time.perf_counter() - start
    assert len(result) == args.count, len(result)
    client.logout()

    parent.send("done")
    server_rss = parent.recv()
    process.join(10)
    print(f"response size:              {size / 1e6:.1f} MB")
    print(f"server, cold (raw socket):  {cold:.2f} s")
    print(f"server, cached (raw socket):{warm:.2f} s")
    print(f"imapclient fetch (total):   {with_client:.2f} s")
    print(f"server peak RSS:            {server_rss:.0f} MB")
    ok = max(cold, with_client) < 3.0 and server_rss < 300
    print("target (<3 s, <300 MB):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
