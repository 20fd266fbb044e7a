"""`python -m testserver`: the bundled mail system as a standalone program.

    python -m testserver --seed demo           # alice, bob, carol with a demo mailbox
    python -m testserver --bulk 100000 --json  # one JSON line with ports, users, CA

Binds 127.0.0.1 unless --host says otherwise, prints how to connect (ports, users and
their passwords, the CA file to trust), and runs until Ctrl-C or SIGTERM (exit 0).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import signal
import sys
import tempfile
import threading

PORT_OPTIONS = {
    "imap_tls": "IMAP with implicit TLS (993-style)",
    "imap_starttls": "IMAP with STARTTLS (143-style)",
    "pop3_tls": "POP3 with implicit TLS (995-style)",
    "pop3_starttls": "POP3 with STLS (110-style)",
    "smtp_tls": "SMTP submission with implicit TLS (465-style)",
    "smtp_starttls": "SMTP submission with STARTTLS (587-style)",
    "dns": "DNS (UDP and TCP)",
    "https": "autoconfig over HTTPS",
    "http": "autoconfig over plain HTTP",
    "oauth": "OAuth 2.0 authorization server (HTTPS)",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m testserver",
        description="A sandboxed mail system (IMAP, POP3, SMTP, DNS, autoconfig) on "
        "loopback with TLS from a throw-away CA. It never relays mail.",
    )
    parser.add_argument("--seed", choices=["demo"], help="fill mailboxes with a data set")
    parser.add_argument("--bulk", type=int, default=0, metavar="N", help="N messages for alice")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--domain", default="example.test", help="mail domain of the users")
    parser.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="LOCAL:PASSWORD",
        help="add a user (repeatable)",
    )
    parser.add_argument(
        "--no-oauth", action="store_true", help="no OAuth 2.0 authorization server (on by default)"
    )
    parser.add_argument("--ca-dir", help="write the CA and certificates here (default: temp)")
    for name, help_text in PORT_OPTIONS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}-port", type=int, default=0, dest=name, help=help_text
        )
    return parser


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.bulk < 0:
        print("--bulk must be 0 or more", file=sys.stderr)
        return 2
    users = []
    for spec in args.user:
        local, sep, password = spec.partition(":")
        if not sep or not local or not password:
            print(f"--user wants LOCAL:PASSWORD, not {spec!r}", file=sys.stderr)
            return 2
        users.append((local, password))
    if not _is_loopback(args.host):
        print(
            f"warning: listening on {args.host}, not only on loopback; anyone who can "
            "reach it can log in with the printed passwords",
            file=sys.stderr,
        )

    # Imports here so --help is instant.
    from testserver import seed as seed_module
    from testserver.certs import TestCA
    from testserver.server import MailServer

    if not users and not args.seed:
        users = [(local, password) for local, password, _ in seed_module.DEMO_USERS]
    ca_dir = args.ca_dir or tempfile.mkdtemp(prefix="tuimail-testserver-")
    stop = threading.Event()

    def on_signal(signum, frame) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server = MailServer(
        host=args.host,
        domain=args.domain,
        ca=TestCA(ca_dir),
        ports={name: getattr(args, name) for name in PORT_OPTIONS if getattr(args, name)},
        seed=args.seed,
        bulk=args.bulk,
        users=users,
        oauth=not args.no_oauth,
    )
    try:
        try:
            server.start()
        except OSError as exc:
            print(f"cannot start the test server: {exc}", file=sys.stderr)
            return 1
        info = describe(server)
        if args.json:
            print(json.dumps(info), flush=True)
        else:
            print(human(info), flush=True)
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        server.stop()
        if not args.ca_dir:
            shutil.rmtree(ca_dir, ignore_errors=True)


def describe(server) -> dict:
    """What a client needs: host, ports, users with passwords, the CA to trust."""
    folders = {}
    for user in server.store.users():
        folders[user.login] = {f.name: len(f.messages) for f in server.store.folders(user.login)}
    return {
        "host": server.host,
        "domain": server.domain,
        "ports": server.bound_ports,
        "ca_file": server.ca_file,
        "users": [
            {"login": u.login, "password": u.password, "email": u.email} for u in server.users
        ],
        "messages": folders,
        "pid": os.getpid(),
        "oauth": oauth_info(server),
    }


def oauth_info(server) -> dict | None:
    """The authorization server's endpoints and the client ids it knows (None if off)."""
    if server.oauth is None:
        return None
    from testserver.oauth import CLIENT_ID, CONFIDENTIAL_ID, CONFIDENTIAL_SECRET

    return server.oauth.metadata() | {
        "client_id": CLIENT_ID,
        "confidential_client": {"client_id": CONFIDENTIAL_ID, "client_secret": CONFIDENTIAL_SECRET},
    }


def human(info: dict) -> str:
    ports = info["ports"]
    width = max(len(name) for name in ports)
    lines = [f"tuimail test server on {info['host']} (domain {info['domain']}), pid {info['pid']}"]
    lines += [f"  {name:<{width}}  {port}" for name, port in ports.items()]
    lines.append(f"  CA file: {info['ca_file']}")
    if info.get("oauth"):
        lines.append(
            f"  OAuth 2.0: {info['oauth']['issuer']} (client id {info['oauth']['client_id']})"
        )
    lines.append("  users (login / password / messages):")
    for user in info["users"]:
        count = sum(info["messages"].get(user["login"], {}).values())
        lines.append(f"    {user['login']}  {user['password']}  {count}")
    lines.append("Ctrl-C stops it.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
