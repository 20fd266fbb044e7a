"""The options `tuimail detect` and `tuimail account add` share, in a module of their own:
building a parser with them imports no discovery code (dnspython, http.client...)."""

from __future__ import annotations

import argparse

from tuimail.cli.argtypes import seconds


def add_detect_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `detect` and `account add --detect`."""
    parser.add_argument(
        "--nameserver",
        metavar="HOST[:PORT]",
        help="send every DNS look-up (host addresses included) to this server",
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=10.0,
        metavar="S",
        help="seconds to wait for each probe (default 10)",
    )
    parser.add_argument(
        "--allow-plain",
        action="store_true",
        help="also consider servers that only work without encryption",
    )
    parser.add_argument("--ca-file", help="an extra CA certificate (PEM) to trust")
    # For tests only (never shown): standard port -> test port, and the autoconfig port.
    parser.add_argument("--port-map", default="", help=argparse.SUPPRESS)
    parser.add_argument("--https-port", type=int, default=443, help=argparse.SUPPRESS)
