"""`tuimail read UID --route`: the delivery report of a stored message.

The report itself is built in tuimail.core.report; here: options, DNS for the own DKIM
check (the doctor's Resolver: the system's, or --nameserver), text or JSON output.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tuimail.cli.exits import EXIT_USAGE
from tuimail.core.account import Account

if TYPE_CHECKING:
    import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--route",
        action="store_true",
        help="the delivery report: hops and delays, SPF/DKIM/DMARC verdicts, warnings",
    )
    p.add_argument(
        "--check-dkim",
        action="store_true",
        help="with --route: verify the DKIM signatures here too (asks DNS)",
    )
    p.add_argument("--nameserver", help="with --check-dkim: DNS server to ask, HOST[:PORT]")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the message as JSON (docs/json.md); with --route, the report",
    )


def own_domains(account: Account) -> tuple[str, ...]:
    """The account's domains: its address and its servers (the provider's hosts)."""
    hosts = (account.domain, account.incoming.host, account.outgoing.host)
    return tuple(h.lower() for h in hosts if h)


def print_route(raw: bytes, account: Account, args: argparse.Namespace) -> int:
    import json  # here, not at the top: every `tuimail sync` imports this module

    from tuimail.core.report import build_report, check_dkim, report_text
    from tuimail.words.dkim import dkim_detail
    from tuimail.words.nameserver import nameserver_option_words

    report = build_report(raw, own_domains=own_domains(account))
    if args.check_dkim:
        from tuimail.core.connect import account_timeout
        from tuimail.core.discovery.resolver import NameserverError, Resolver
        from tuimail.core.report.dkim_check import dns_timeout

        try:
            resolver = Resolver(args.nameserver, dns_timeout(account_timeout(account)))
        except NameserverError as exc:  # typed; worded at the edge
            print(f"tuimail: {nameserver_option_words(exc)}", file=sys.stderr)
            return EXIT_USAGE
        report.dkim_checks = check_dkim(raw, report, resolver)
    if args.json:
        data = report.as_dict()
        for check, out in zip(report.dkim_checks or (), data["dkim_checks"] or (), strict=True):
            out["detail"] = dkim_detail(check)  # the words, beside reason and data
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(report_text(report, dkim_detail))
    return 0
