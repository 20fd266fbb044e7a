"""`tuimail compose [--to ADDR ...] [--subject S] [--body TEXT]` and `tuimail mailto:...`:
open the app straight into the composer, filled in (RFC 6068 links parsed safely by
tuimail.core.mailto). Desktops register tuimail for mailto: links with
tuimail/data/tuimail.desktop."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compose",
        help="open the app with a new message (also: tuimail mailto:ADDR?subject=...)",
        description="Open the app with the composer filled in. A mailto: link (RFC 6068) may "
        "set To, Cc, Bcc, Subject, Body and In-Reply-To; any other header in it is ignored.",
    )
    p.add_argument("mailto", nargs="?", help="a mailto: link")
    p.add_argument("--to", action="append", default=[], metavar="ADDR", help="a recipient")
    p.add_argument("--cc", action="append", default=[], metavar="ADDR", help="a copy to")
    p.add_argument("--bcc", action="append", default=[], metavar="ADDR", help="a blind copy to")
    p.add_argument("--subject", default="", help="the subject")
    p.add_argument("--body", default="", help="the text (before the signature)")
    p.add_argument(
        "--from",
        dest="sender",
        default="",
        metavar="ADDR",
        help="write as this address: an account's email or one of its identities",
    )
    p.set_defaults(func=run)


def start_from_args(args: argparse.Namespace):
    """What the composer starts with; ValueError for a link that is not mailto:."""
    from tuimail.core.mailto import MailtoStart, parse_mailto

    start = parse_mailto(args.mailto) if args.mailto else MailtoStart()
    extra = MailtoStart()
    for value in args.to:
        extra.to += parse_mailto(f"mailto:?to={_quote(value)}").to
    for value in args.cc:
        extra.cc += parse_mailto(f"mailto:?cc={_quote(value)}").cc
    for value in args.bcc:
        extra.bcc += parse_mailto(f"mailto:?bcc={_quote(value)}").bcc
    start.to += extra.to
    start.cc += extra.cc
    start.bcc += extra.bcc
    if args.subject:
        start.subject = parse_mailto(f"mailto:?subject={_quote(args.subject)}").subject
    if args.body:
        start.body = parse_mailto(f"mailto:?body={_quote(args.body)}").body
    start.sender = (getattr(args, "sender", "") or "").strip()
    return start


def _check_sender(address: str) -> str | None:
    """None when `address` is an identity of a configured account, else a sentence."""
    from tuimail.core.config import ConfigError, load_config
    from tuimail.core.identities import every_identity

    try:
        config = load_config()
    except ConfigError as exc:
        from tuimail.words.config import config_words

        return config_words(exc)
    known = every_identity(config.accounts.values())
    if any(identity.key == address.lower() for identity in known):
        return None
    listed = ", ".join(identity.email for identity in known) or "none"
    return f"no account or identity has the address {address!r} (configured: {listed})"


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def run(args: argparse.Namespace) -> int:
    from tuimail.cli.app import run_app
    from tuimail.core.mailto import MailtoError
    from tuimail.words.compose import mailto_words

    try:
        start = start_from_args(args)
    except MailtoError as exc:
        print(f"tuimail compose: {mailto_words(exc)}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"tuimail compose: {exc}", file=sys.stderr)
        return 2
    if start.sender:
        problem = _check_sender(start.sender)
        if problem:
            from tuimail.core.sanitize import sanitize

            print(f"tuimail compose: {sanitize(problem)}", file=sys.stderr)
            return 2
    return run_app(compose=start)
