"""`python -m testserver` as a person starts it: a subprocess, real clients, Ctrl-C."""

from __future__ import annotations

import json
import os
import poplib
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiosmtplib
import pytest
from imapclient import IMAPClient

from tuimail.core.tls import client_context

ROOT = Path(__file__).resolve().parents[2]


def start(*args: str) -> tuple[subprocess.Popen, dict, float]:
    """Start the server; returns (process, its JSON line, seconds until it was printed)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "testserver", "--json", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    elapsed = time.monotonic() - started
    if not line:
        process.kill()
        raise AssertionError(f"no JSON line; stderr: {process.stderr.read()}")
    return process, json.loads(line), elapsed


def stop(process: subprocess.Popen, sig: int = signal.SIGINT) -> tuple[int, str]:
    process.send_signal(sig)
    try:
        _, stderr = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, stderr


@pytest.fixture
def demo():
    process, info, elapsed = start("--seed", "demo")
    yield process, info, elapsed
    if process.poll() is None:
        process.kill()
        process.wait(10)


async def test_demo_server_up_fast_and_usable_with_verified_tls(demo) -> None:
    process, info, elapsed = demo
    assert info["host"] == "127.0.0.1"
    alice = next(u for u in info["users"] if u["login"].startswith("alice@"))
    context = client_context(info["ca_file"])
    ports = info["ports"]

    with IMAPClient(
        info["host"], port=ports["imap_tls"], ssl=True, ssl_context=context, timeout=10
    ) as imap:
        imap.login(alice["login"], alice["password"])
        inbox = imap.select_folder("INBOX", readonly=True)
        assert inbox[b"EXISTS"] == info["messages"][alice["login"]]["INBOX"] > 100
        names = {name for _, _, name in imap.list_folders()}
        assert {"Sent", "Drafts", "Archive", "Trash", "Junk", "Projects/tuimail"} <= names
        imap.logout()

    pop = poplib.POP3_SSL(info["host"], ports["pop3_tls"], context=context, timeout=10)
    pop.user(alice["login"])
    pop.pass_(alice["password"])
    assert pop.stat()[0] == inbox[b"EXISTS"]
    pop.quit()

    bob = next(u for u in info["users"] if u["login"].startswith("bob@"))
    raw = f"From: {alice['email']}\r\nTo: {bob['email']}\r\nSubject: standalone\r\n\r\nHi\r\n"
    await aiosmtplib.send(
        raw.encode(),
        sender=alice["email"],
        recipients=[bob["email"]],
        hostname=info["host"],
        port=ports["smtp_starttls"],
        start_tls=True,
        tls_context=context,
        username=alice["login"],
        password=alice["password"],
        timeout=10,
    )
    pop = poplib.POP3_SSL(info["host"], ports["pop3_tls"], context=context, timeout=10)
    pop.user(bob["login"])
    pop.pass_(bob["password"])
    assert pop.stat()[0] == info["messages"][bob["login"]]["INBOX"] + 1
    pop.quit()

    code, stderr = stop(process, signal.SIGINT)
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert not Path(info["ca_file"]).exists()  # the temporary CA is cleaned up


def test_sigterm_stops_cleanly_and_ports_are_free() -> None:
    process, info, _ = start("--user", "dave:secret-pass", "--smtp-starttls-port", "0")
    assert [u["login"] for u in info["users"]] == ["dave@example.test"]
    assert info["users"][0]["password"] == "secret-pass"
    code, stderr = stop(process, signal.SIGTERM)
    assert code == 0, stderr
    with socket.socket() as sock:  # the port is free again
        sock.bind((info["host"], info["ports"]["imap_tls"]))


def test_human_output_lists_ports_users_and_ca() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "testserver"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    while not lines or not lines[-1].startswith("Ctrl-C"):
        line = process.stdout.readline()
        assert line, process.stderr.read()
        lines.append(line.strip())
    text = "\n".join(lines)
    assert "imap_tls" in text and "smtp_starttls" in text and "CA file:" in text
    assert "alice@example.test  alice-demo-password" in text
    code, stderr = stop(process)
    assert code == 0, stderr


def test_bad_arguments_are_sentences() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "testserver", "--user", "nopassword"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert "LOCAL:PASSWORD" in result.stderr and "Traceback" not in result.stderr
