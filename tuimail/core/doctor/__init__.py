"""`tuimail doctor`: checks that explain why mail does not work, with the fix.

`run_checks(account, password, ...)` returns a list of `CheckResult`; the edge
(tuimail.doctor_words) words and renders them as text or JSON.
"""

from tuimail.core.doctor.report import CheckResult, failed
from tuimail.core.doctor.runner import run_checks

__all__ = ["CheckResult", "failed", "run_checks"]
