"""The delivery report screen (key i in the reader/list): route, verdicts, warnings.

Every string in the report was sanitised in core; it reaches Textual as a Rich Text
(never markup). `c` runs tuimail's own DKIM check in a thread (it asks DNS).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tuimail.core.report import DeliveryReport, report_lines
from tuimail.words.dkim import dkim_detail

STYLES = {
    "heading": "bold underline",
    "ok": "green",
    "bad": "bold red",
    "warning": "yellow",
    "info": "",
    "plain": "",
}


def report_text(report: DeliveryReport) -> Text:
    text = Text()
    for level, line in report_lines(report, dkim_detail):
        text.append(line + "\n", style=STYLES.get(level, ""))
    return text


class ReportScreen(Screen[None]):
    """One message's delivery report; `check` returns the report with the own DKIM check."""

    BINDINGS = [
        Binding("c", "check_dkim", "Check DKIM here", id="report.check"),
        Binding("escape,q", "close", "Back", id="report.close"),
    ]
    DEFAULT_CSS = """
    ReportScreen #report { padding: 0 1; }
    """

    def __init__(
        self, report: DeliveryReport, check: Callable[[], DeliveryReport] | None = None
    ) -> None:
        super().__init__()
        self.report = report
        self.check = check
        self.checking = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="report-scroll"):
            yield Static(report_text(self.report), id="report")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Delivery report"  # its own: the main screen's stays for after
        self.query_one("#report-scroll").focus()

    def show(self, report: DeliveryReport) -> None:
        self.report = report
        self.query_one("#report", Static).update(report_text(report))

    def action_check_dkim(self) -> None:
        if self.check is None or self.checking:
            return
        self.checking = True
        self.notify("Checking the DKIM signatures (asking DNS)…", timeout=3)
        check = self.check

        def done(report: DeliveryReport) -> None:
            self.checking = False
            self.show(report)

        def run() -> None:
            try:
                report = check()
            except Exception as exc:  # a sentence, not a crash (DNS settings, network)
                self.app.call_from_thread(self._failed, exc)
                return
            self.app.call_from_thread(done, report)

        self.run_worker(run, thread=True, exit_on_error=False, group="report")

    def _failed(self, exc: BaseException) -> None:
        from tuimail.ui.plain import notify

        self.checking = False
        notify(self.app, f"The DKIM check could not run: {exc}", severity="error")

    def action_close(self) -> None:
        self.app.pop_screen()
