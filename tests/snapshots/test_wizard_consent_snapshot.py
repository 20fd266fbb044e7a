"""The wizard's consent step: the servers found outside the address's domain, why each
needs a yes, and the Yes/No buttons (fixed hosts and ports: no server, no live probes)."""

from __future__ import annotations

from textual.widgets import Input

from tests.snapshots.helpers import steady
from tuimail.core.discovery.detect import Detection
from tuimail.core.discovery.findings import Confirm, ConfirmKind
from tuimail.core.discovery.model import Candidate, ProbeResult
from tuimail.ui.app import TuimailApp


def _detection() -> Detection:
    imap = Candidate("imap", "imap.provider.test", 993, "tls", "srv", 0, True)
    smtp = Candidate("smtp", "smtp.provider.test", 465, "tls", "srv", 0, True)
    result = Detection(email="bob@customer.test", source="srv")
    result.incoming, result.outgoing = (
        ProbeResult(imap, True, "works"),
        ProbeResult(smtp, True, "works"),
    )
    result.login_deferred = True
    result.confirm = [
        Confirm(ConfirmKind.OUTSIDE, role, c, domain="customer.test")
        for role, c in (("incoming", imap), ("outgoing", smtp))
    ]
    return result


def test_wizard_consent_step(snap_compare):
    async def ask(pilot) -> None:
        await steady(pilot)
        screen = pilot.app.screen
        screen.query_one("#wiz-email", Input).value = "bob@customer.test"
        result = _detection()
        screen.detection = result
        screen.show_detection(result)
        await steady(pilot)

    assert snap_compare(TuimailApp(None), terminal_size=(100, 40), run_before=ask)
