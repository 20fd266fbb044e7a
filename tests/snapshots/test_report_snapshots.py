"""Snapshot of the delivery report screen (key i): a fixed route with a long wait, the
provider's verdicts, an earlier server's claim and sender warnings. Update after a reviewed
change: pytest tests/snapshots/test_report_snapshots.py --snapshot-update"""

from __future__ import annotations

from tests.snapshots.helpers import steady
from tests.ui.helpers import make_app, wait_for
from tests.ui.report_messages import ROUTED
from tuimail.ui.screens.report import ReportScreen


class TestDeliveryReport:
    """The report of a received message, from the reader."""

    def test_report_100x40(self, snap_compare, mail_server):
        user = mail_server.new_user()
        mail_server.deliver(user, ROUTED)

        async def open_report(pilot) -> None:
            await steady(pilot)
            await pilot.press("i")
            await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReportScreen))
            await steady(pilot)

        assert snap_compare(
            make_app(mail_server, user), terminal_size=(100, 40), run_before=open_report
        )
