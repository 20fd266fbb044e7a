"""Guessed candidates: usual host names on the standard ports (last resort)."""

from __future__ import annotations

from tuimail.core.discovery.model import Candidate

GUESSES: list[tuple[str, tuple[str, ...], tuple[tuple[int, str], ...]]] = [
    ("imap", ("imap", "mail", ""), ((993, "tls"), (143, "starttls"))),
    ("pop3", ("pop3", "pop", "mail", ""), ((995, "tls"), (110, "starttls"))),
    ("smtp", ("smtp", "mail", ""), ((465, "tls"), (587, "starttls"), (25, "starttls"))),
]


def guess_candidates(domain: str) -> list[Candidate]:
    out: list[Candidate] = []
    order = 0
    for protocol, prefixes, ports in GUESSES:
        for prefix in prefixes:
            host = f"{prefix}.{domain}" if prefix else domain
            for port, security in ports:
                out.append(Candidate(protocol, host, port, security, "guess", order))
                order += 1
    return out
