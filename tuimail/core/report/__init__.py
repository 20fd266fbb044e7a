"""The delivery report of a received message: route, provider's verdicts, warnings.

report = build_report(raw, own_domains=("example.org",))   # no network
report.dkim_checks = check_dkim(raw, report, resolver)       # on request (DNS)
print(report_text(report)); json.dumps(report.as_dict())
"""

from tuimail.core.report.build import build_report
from tuimail.core.report.dkim_check import check_dkim
from tuimail.core.report.model import (
    AuthResults,
    DeliveryReport,
    DkimCheck,
    Explanation,
    Hop,
    SpamInfo,
    Verdict,
)
from tuimail.core.report.render import report_lines, report_text

__all__ = [
    "AuthResults",
    "DeliveryReport",
    "DkimCheck",
    "Explanation",
    "Hop",
    "SpamInfo",
    "Verdict",
    "build_report",
    "check_dkim",
    "report_lines",
    "report_text",
]
