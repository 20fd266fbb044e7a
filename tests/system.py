"""System (Debian) packages some tests need, in one place.

Outside CI, a test whose package is missing is skipped, and tests/conftest.py folds every
such skip into one line at the end of the run naming the packages to install. In CI
(CI=true) a skip is a failure, so .ci/run installs them all. README "Run the tests" lists
the same packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

# The reason of every skip for a missing package starts with this (conftest parses it).
MARK = "missing system packages: "

DOVECOT_POSTFIX = (
    "dovecot-core",
    "dovecot-imapd",
    "dovecot-pop3d",
    "dovecot-lmtpd",
    "postfix",
    "openssl",
)
TMUX = ("tmux",)
GIT_SEND_EMAIL = ("git", "git-email", "libmailtools-perl")
MAN = ("groff-base", "man-db")  # docs/*.1, *.5 render (tests/cli/test_manpages.py)
SHELLS = ("zsh", "fish")  # their completion scripts are syntax-checked (bash is there)
ALL = (*DOVECOT_POSTFIX, *TMUX, *GIT_SEND_EMAIL, *MAN, *SHELLS)


def _sbin_path() -> str:
    return os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"])


# For the test of the skip line itself: binaries to treat as not installed.
PRETEND_MISSING = "TUIMAIL_TEST_PRETEND_MISSING"


def have(*binaries: str) -> bool:
    pretend = set(os.environ.get(PRETEND_MISSING, "").split(","))
    return all(b not in pretend and shutil.which(b, path=_sbin_path()) for b in binaries)


def missing_reason(packages: tuple[str, ...]) -> str:
    return MARK + " ".join(packages)


def require(binaries: tuple[str, ...], packages: tuple[str, ...]) -> None:
    """Skip the calling test (a failure in CI) unless every binary is installed."""
    if not have(*binaries):
        pytest.skip(missing_reason(packages))


def require_git_send_email() -> None:
    """git, its send-email command and the Perl modules send-email loads."""
    ok = have("git", "perl")
    if ok:
        exec_path = subprocess.run(
            ["git", "--exec-path"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
        ok = os.path.exists(os.path.join(exec_path, "git-send-email"))
    if ok:
        probe = ["perl", "-MMail::Address", "-e", "1"]
        ok = subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    if not ok:
        pytest.skip(missing_reason(GIT_SEND_EMAIL))


def skipped_packages(reason: str) -> list[str] | None:
    """The packages named by a skip reason made here, or None for any other skip."""
    at = reason.find(MARK)
    return reason[at + len(MARK) :].split() if at >= 0 else None
