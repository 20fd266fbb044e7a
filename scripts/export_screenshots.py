"""Regenerate screenshots/*.svg: main screen, reader, composer, wizard, help, diagnose, report.

    python3 scripts/export_screenshots.py [--out screenshots] [--only NAME ...]

Runs the app headless on the demo server (fixed demo dates, a fixed clock) in a
temporary home, so the pictures are the same on every machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (120, 36)


async def _steady(pilot) -> None:
    await pilot.pause(0.3)
    await pilot.app.workers.wait_for_complete()
    await _preview_done(pilot)
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


async def _preview_done(pilot, timeout: float = 20.0) -> None:
    """Wide main screen: wait until the preview of the selected message has loaded (and,
    mark_read_delay being 0 here, a message moved to is marked read) so nothing changes
    after the picture."""
    import time

    from tuimail.ui.widgets.message_list import MessageList
    from tuimail.ui.widgets.reader import ReaderPane

    app = pilot.app
    main = app.main
    if main is None or app.screen is not main or not main.previewing:
        return
    lst, reader = main.query_one(MessageList), main.query_one(ReaderPane)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = lst.current
        view = reader.message_view
        if row is None or (
            view is not None and app._reading is not None and app._reading.id == row.id
        ):
            break
        await pilot.pause(0.05)
    await app.workers.wait_for_complete()  # the mark-read of a message moved to
    await app.workers.wait_for_complete()
    await pilot.pause()


def diagnose_screen():
    """The Diagnose screen with sample results (real runs show test-server ports and
    times that change every run; these show a failure and its fix the same way each time)."""
    from tuimail.core.account import Account, ServerSettings
    from tuimail.core.doctor import CheckResult
    from tuimail.core.secrets import Secret
    from tuimail.ui.screens.diagnose import DiagnoseScreen

    account = Account(
        name="work",
        email="ana@example.org",
        incoming=ServerSettings("imap.example.org", 993, "tls"),
        outgoing=ServerSettings("smtp.example.org", 587, "starttls"),
    )
    dns = "DNS for example.org"
    imap = "Incoming server (IMAP) imap.example.org:993"
    smtp = "Outgoing server (SMTP) smtp.example.org:587"
    results = [
        CheckResult("MX", dns, "ok", "mx.example.org (10)", "", 0.012),
        CheckResult(
            "SPF",
            dns,
            "warning",
            "v=spf1 +all: any server in the world may send as example.org",
            "replace +all with -all (or ~all) after listing your real senders",
            0.011,
        ),
        CheckResult("DMARC", dns, "ok", "p=quarantine", "", 0.010),
        CheckResult("reachable", imap, "ok", "TCP connect in 8 ms", "", 0.008),
        CheckResult("tls", imap, "ok", "implicit TLS, TLSv1.3, TLS_AES_256_GCM_SHA384", "", 0.031),
        CheckResult("certificate", imap, "ok", "valid for imap.example.org, trusted", "", 0.001),
        CheckResult("capabilities", imap, "ok", "offers IDLE, CONDSTORE, QRESYNC, MOVE, UIDPLUS"),
        CheckResult("login", imap, "ok", "logged in as ana@example.org", "", 0.120),
        CheckResult(
            "quota",
            imap,
            "warning",
            "the mailbox is nearly full: 93% used (1950000 of 2097152 KiB)",
            "delete or archive old mail (and empty Trash) before new mail starts bouncing",
            0.004,
        ),
        CheckResult("reachable", smtp, "ok", "TCP connect in 9 ms", "", 0.009),
        CheckResult("tls", smtp, "ok", "STARTTLS, TLSv1.3, TLS_AES_256_GCM_SHA384", "", 0.040),
        CheckResult("certificate", smtp, "ok", "valid for smtp.example.org, trusted", "", 0.001),
        CheckResult(
            "login",
            smtp,
            "failure",
            "the server refused the login for ana@example.org (535 5.7.8)",
            "check the user name and password; if the provider uses two-step verification, "
            "create an app password and use it instead of the normal password",
            0.090,
        ),
    ]

    def runner(_account, _password, *, send=False, on_result=None):
        for result in results:
            on_result(result)
        return results

    return DiagnoseScreen(account, password=lambda _a: Secret("sample"), runner=runner)


REPORT_SAMPLE = (
    b"Received: from mx.example.org\r\n\tby imap.example.org (Dovecot) with LMTP id a1\r\n"
    b"\tfor <ana@example.org>; Mon, 2 Mar 2026 11:03:09 +0000\r\n"
    b"Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=bounce@mail.shop.example;\r\n"
    b"\tdkim=fail header.d=shop.example header.s=s1; dmarc=fail (p=reject)"
    b" header.from=paypa1.com\r\n"
    b"Received: from out.shop.example (out.shop.example [198.51.100.7])\r\n"
    b"\tby mx.example.org (Postfix) with ESMTP id 4F1;\r\n\tMon, 2 Mar 2026 11:03:08 +0000\r\n"
    b"Received: from [10.0.0.5] (desk [203.0.113.5])\r\n"
    b"\tby out.shop.example (Postfix) with ESMTPSA id 9C2;\r\n"
    b"\tMon, 2 Mar 2026 10:01:58 +0000\r\n"
    b"X-Spam-Status: Yes, score=8.1 required=5.0 tests=BAYES_99,DKIM_INVALID,RDNS_NONE\r\n"
    b'From: "PayPal Support" <service@paypa1.com>\r\n'
    b"Reply-To: claims@elsewhere.example\r\nTo: ana@example.org\r\nSubject: Your account\r\n"
    b"Date: Mon, 2 Mar 2026 10:01:50 +0000\r\n\r\nPlease confirm your account.\r\n"
)


def report_screen():
    """The delivery report of a phishing-like sample (fixed headers, no server)."""
    from tuimail.core.report import build_report
    from tuimail.ui.screens.report import ReportScreen

    return ReportScreen(build_report(REPORT_SAMPLE, own_domains=("example.org",)))


async def export(out: Path, only: set[str] | None = None) -> list[Path]:
    from tuimail.core.service import MailService
    from tuimail.ui.app import TuimailApp
    from tuimail.ui.demo import DEMO_NOW, Demo
    from tuimail.ui.screens.composer import ComposerScreen
    from tuimail.ui.settings import UiSettings

    written: list[Path] = []
    demo = Demo(new_mail_after=0)
    try:

        def app() -> TuimailApp:
            service = MailService(
                {demo.account.name: demo.account},
                password_for=lambda _a: demo.password,
                idle=False,
            )
            # mark_read_delay 0: a previewed message is read at once, not 3 s later
            return TuimailApp(service, now=DEMO_NOW, ui=UiSettings(mark_read_delay=0))

        async def shot(name: str, keys: list[str], size=SIZE, make=app) -> None:
            if only and name not in only:
                return
            instance = make()
            async with instance.run_test(size=size) as pilot:
                while instance.service is not None and not instance.synced:
                    await pilot.pause(0.05)
                await _steady(pilot)
                await pilot.press(*keys)
                await _steady(pilot)
                if name == "composer":
                    while not isinstance(instance.screen, ComposerScreen):
                        await pilot.pause(0.05)
                    await _steady(pilot)
                path = out / f"{name}.svg"
                instance.save_screenshot(str(path))
                written.append(path)

        await shot("main", ["j", "j", "j", "j"], size=(160, 40))  # three panes from 140
        await shot("reader", ["j", "j", "j", "j", "enter"], size=(80, 24))
        await shot("composer", ["j", "r"])
        await shot("help", ["question_mark"])
        # thread trees (t), the "Weekend hike" thread collapsed (-), two rows tagged (Space)
        keys = ["t", *["j"] * 11, "minus", "g", "j", "space", "space"]
        await shot("threads", keys, size=(120, 30))
        await shot("wizard", [], make=lambda: TuimailApp(None))
        await shot("diagnose", [], make=lambda: TuimailApp(None, wizard=diagnose_screen))
        await shot(
            "report", [], size=(100, 44), make=lambda: TuimailApp(None, wizard=report_screen)
        )
    finally:
        demo.stop()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--only", action="append", help="just this screenshot (repeatable)")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tuimail-shots-") as home:
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
            os.environ[var] = os.path.join(home, var.lower())
            os.makedirs(os.environ[var])
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        for path in asyncio.run(export(out, set(args.only or []))):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
