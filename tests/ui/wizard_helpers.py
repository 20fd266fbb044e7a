"""Driving the setup wizard in pilot tests: a wizard wired to the bundled server's DNS and
autoconfig, and small helpers to fill, choose, press and wait."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from textual.widgets import Button, Input, Select, Static

from tests.ui.helpers import settle, wait_for
from testserver.server import MailServer
from tuimail.core.discovery.detect import DetectOptions
from tuimail.core.tls import spki_sha256
from tuimail.ui.screens.main import MainScreen
from tuimail.ui.screens.wizard import WizardScreen


def wizard_for(server):
    def options() -> DetectOptions:
        return DetectOptions(
            timeout=5,
            total_timeout=15,
            nameserver=f"127.0.0.1:{server.dns_port}",
            ca_file=server.ca_file,
            https_port=server.https_port,
        )

    return lambda: WizardScreen(detect_options=options)


SIZE = (120, 70)


def text_of(screen, wid: str) -> str:
    return str(screen.query_one(f"#{wid}", Static).render())


def log_of(screen) -> str:
    return text_of(screen, "wizard-log")


def put(screen, **values: str) -> None:
    for wid, value in values.items():
        screen.query_one(f"#wiz-{wid}", Input).value = value


def choose(screen, wid: str, value: str) -> None:
    screen.query_one(f"#wiz-{wid}", Select).value = value


def press(screen, wid: str) -> None:
    screen.query_one(f"#wiz-{wid}", Button).press()


def shown(screen, wid: str) -> bool:
    return not screen.query_one(f"#{wid}").has_class("hidden")


async def verify(pilot, screen) -> None:
    """Press Verify login and wait until it has answered (or refused to start)."""
    before = log_of(screen)
    press(screen, "verify")
    await wait_for(
        pilot,
        lambda: log_of(screen) != before and not log_of(screen).endswith("\u2026"),
        timeout=30,
    )
    await settle(pilot)


async def detect(pilot, screen) -> None:
    screen.detection = None
    press(screen, "detect")
    await wait_for(pilot, lambda: screen.detection is not None, timeout=30)
    await settle(pilot)


async def save(pilot, app) -> None:
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=10)


def manual(screen, server, *, imap_port: int | None = None) -> None:
    put(
        screen,
        **{
            "in-host": server.host,
            "in-port": str(imap_port or server.ports.imap_tls),
            "out-host": server.host,
            "out-port": str(server.ports.smtp_starttls),
        },
    )
    choose(screen, "in-sec", "tls")
    choose(screen, "out-sec", "starttls")


def key_pin(server: MailServer) -> str:
    pem = Path(server.certificate.cert_file).read_bytes()
    return spki_sha256(x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER))
