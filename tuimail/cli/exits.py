"""The exit statuses every `tuimail` command uses (documented in --help and the README)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1  # a mail or server failure: not sent, not synced, a check failed
EXIT_USAGE = 2  # a usage or configuration error: bad arguments, unknown account or folder
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)

EPILOG = """exit status:
  0    success
  1    a mail or server failure (not sent, not synced, login refused, a check failed)
  2    a usage or configuration error (bad arguments, unknown account or folder,
       invalid configuration, no password available)
  130  interrupted (Ctrl-C)"""
SHORT_EPILOG = (
    "exit status: 0 success, 1 a mail or server failure, 2 a usage or configuration error, "
    "130 interrupted (see tuimail --help)"
)
