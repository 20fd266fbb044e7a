"""`tuimail doctor`: checks that explain why mail does not work, with the fix.

`run_checks(account, password, ...)` returns a list of `CheckResult`; `report.py`
renders them as text or JSON.
"""

from tuimail.core.doctor.report import CheckResult, failed, render_json, render_text
from tuimail.core.doctor.runner import run_checks

__all__ = ["CheckResult", "failed", "render_json", "render_text", "run_checks"]
