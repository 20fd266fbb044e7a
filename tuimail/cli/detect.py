"""`tuimail detect EMAIL`: find the servers for an address and show how they are secured."""

from __future__ import annotations

import argparse
import json
import sys
import threading

from tuimail import detect_words
from tuimail.cli.detect_options import add_detect_options
from tuimail.core.discovery.detect import Detection, DetectOptions, detect, not_an_address
from tuimail.core.discovery.findings import NotFoundReason
from tuimail.core.discovery.model import Event
from tuimail.core.discovery.resolver import NameserverError
from tuimail.core.sanitize import sanitize
from tuimail.core.tls import ca_file_problem
from tuimail.words.nameserver import nameserver_option_words

SECURITY_TEXT = {
    "tls": "TLS (encrypted)",
    "starttls": "STARTTLS (encrypted)",
    "plain": "NOT ENCRYPTED",
}


class CAFileOptionError(ValueError):
    """--ca-file names a file that cannot be used (a sentence)."""


def options_from_args(args: argparse.Namespace, **extra) -> DetectOptions:
    problem = ca_file_problem(args.ca_file, "--ca-file")
    if problem:
        raise CAFileOptionError(f"{problem}.")
    if args.nameserver:  # NameserverError before anything is looked up or said
        from tuimail.core.discovery.resolver import parse_nameserver

        parse_nameserver(args.nameserver)
    port_map = {}
    for item in filter(None, args.port_map.split(",")):
        std, _, test = item.partition("=")
        port_map[int(std)] = int(test)
    timeout = max(0.5, args.timeout)
    return DetectOptions(
        timeout=timeout,
        total_timeout=max(15.0, timeout + 5.0),
        allow_plain=args.allow_plain,
        nameserver=args.nameserver,
        ca_file=args.ca_file,
        port_map=port_map,
        https_port=args.https_port,
        **extra,
    )


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "detect",
        help="find the mail servers for an address",
        description="Find the IMAP/POP3 and SMTP servers for an address (SRV records, "
        "autoconfig, MX, then guessing), probe each one, and show the safest choice.",
    )
    parser.add_argument("email")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--pop3", action="store_true", help="prefer POP3 over IMAP")
    add_detect_options(parser)
    parser.set_defaults(func=run)


def print_event(event: Event, out=None, lock=threading.Lock()) -> None:
    out = out or sys.stdout
    mark = "ok  " if event.ok else "--  "
    with lock:
        print(
            f"  {mark}{event.stage:<10} {sanitize(event.target)}: {detect_words.event(event)}",
            file=out,
            flush=True,
        )


def run_detection(email: str, options: DetectOptions, quiet: bool, out=None) -> Detection:
    out = out or sys.stdout
    if not quiet and not not_an_address(email):
        print(f"Looking for the mail servers of {sanitize(email)} ...", file=out, flush=True)
    return detect(email, options, None if quiet else lambda e: print_event(e, out))


def print_summary(result: Detection, out=None) -> None:
    out = out or sys.stdout
    print(file=out)
    for role, chosen in (("Incoming", result.incoming), ("Outgoing", result.outgoing)):
        if chosen is None:
            print(f"{role}: none found", file=out)
            continue
        c = chosen.candidate
        found_by = "from the ISP database" if c.source == "ispdb" else f"found by {c.source}"
        unverified = "" if chosen.verified else "; not verified by a probe"
        print(
            f"{role}: {c.protocol.upper()} {sanitize(c.host)} port {c.port}, "
            f"{SECURITY_TEXT[c.security]} ({found_by}{unverified})",
            file=out,
        )
    if result.oauth2:
        how = "requires" if result.oauth2["required"] else "offers"
        who = sanitize(result.oauth2["provider"] or "This provider")
        print(f'Sign-in: {who} {how} OAuth 2.0 (auth = "oauth2").', file=out)
    for warning in detect_words.warnings(result):
        print(f"Warning: {warning}", file=out)
    if result.confirm:
        print("Needs your confirmation:", file=out)
        for reason in detect_words.confirm(result):
            print(f"  - {reason}", file=out)
        if result.login_deferred:
            print("Your password has not been sent to these servers.", file=out)
    for check in result.logins:
        print(
            ("Login ok: " if check.ok else "Login FAILED: ") + detect_words.login(check), file=out
        )
    if result.error:
        print(f"Error: {detect_words.not_found(result.error)}", file=out)


def run(args: argparse.Namespace) -> int:
    try:
        options = options_from_args(args, prefer_pop3=args.pop3)
        result = run_detection(args.email, options, quiet=args.json)
    except NameserverError as exc:
        print(f"tuimail detect: {nameserver_option_words(exc)}", file=sys.stderr)
        return 2
    except CAFileOptionError as exc:
        print(f"tuimail detect: {exc}", file=sys.stderr)
        return 2
    not_an_address = (
        result.error is not None and result.error.reason is NotFoundReason.NOT_AN_ADDRESS
    )
    if args.json:
        print(json.dumps(detect_words.detection_dict(result), indent=2))
    elif not_an_address:  # a usage error: no "none found" lines for it
        print(f"tuimail detect: {detect_words.not_found(result.error)}", file=sys.stderr)
    else:
        print_summary(result)
    if not_an_address:
        return 2
    return 0 if result.found else 1
