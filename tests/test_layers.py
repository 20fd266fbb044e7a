"""Layers (issue 13): core makes no sentences for people and never reaches up to the
edge (tuimail.cli, tuimail.ui, the words modules). Each rule is a scan of core's sources
(AST or phrase) with sources planted to prove it would catch a breach (RULES, below)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "tuimail"


def _edge(module: str) -> bool:
    """tuimail.cli, tuimail.ui, and every words module (tuimail.words and its parts,
    tuimail.doctor_words, tuimail.detect_words, ...)."""
    parts = module.split(".")
    return (
        len(parts) > 1
        and parts[0] == "tuimail"
        and (parts[1] in ("cli", "ui") or "words" in parts[1])
    )


def edge_imports(source: str, package: str) -> list[str]:
    """`module:line` for each import of the edge in `source` (a module of `package`)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the package
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names = [base] if _edge(base) else [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found += [f"{name}:{node.lineno}" for name in names if _edge(name)]
    return found


def core_edge_imports(sources: dict[str, str]) -> list[str]:
    """`module: import:line` for each import of the edge in `sources` (named by their
    path, "tuimail/core/imap/x.py", which gives the package relative imports resolve in)."""
    found = []
    for name, text in sources.items():
        parts = Path(name).with_suffix("").parts
        package = ".".join(parts if parts[-1] == "__init__" else parts[:-1])
        found += [f"{name}: {hit}" for hit in edge_imports(text, package)]
    return found


def _tls_phrases() -> list[str]:
    from tuimail.words.security import _SECURITY, _UNTRUSTED

    return [*_SECURITY.values(), *_UNTRUSTED.values()]


def core_tls_phrases(sources: dict[str, str]) -> list[str]:
    """`module: phrase` for each of the edge's TLS sentences (tuimail.words) found in a
    core module's source, and each mention of the deleted second table (tls_findings)."""
    found = []
    for name, text in sources.items():
        found += [f"{name}: {p}" for p in _tls_phrases() if p in text]
        if "tls_findings" in text:
            found.append(f"{name}: tls_findings")
    return found


# Detection's failures are typed in core and worded in tuimail.detect_words: no function
# under core/discovery words a failure, and the login sentences live at the edge only.
DETECT_WORDERS = ("describe_failure", "_said", "_submit_said", "_reason")
DETECT_PHRASES = ("rejected the login", "check the user name and password")


def discovery_wording(sources: dict[str, str]) -> list[str]:
    """`module: name` for each failure-wording function or edge login phrase found."""
    found = []
    for name, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and node.name in DETECT_WORDERS:
                found.append(f"{name}: def {node.name}")
        found += [f"{name}: {p}" for p in DETECT_PHRASES if p in text]
    return found


# Detection's findings are typed in core (tuimail.core.discovery.findings, model.Note) and
# worded in tuimail.detect_words: none of the sentences moved there may come back.
DETECT_SENTENCES = (
    "could only be reached with",  # what needs a yes
    "works only WITHOUT encryption",
    "make sure you trust it",
    "is not an e-mail address",  # why nothing was found
    "No working mail server",
    "answered securely",
    "enter it by hand",
    "Some servers",
    "were not tried",  # warnings
    "not verified by a probe",
    "copy of the ISP database",
    "works (",  # a probe or a login that worked
    "works, but",
    "certificate verified)",
    "Logged in to",
    "not tried: it would be unencrypted",
    "SRV record(s)",  # look-ups and pins
    "no SRV records",
    "says the service is not offered",
    "server(s) listed",
    "no MX record",
    "is in the same domain",
    "in the ISP database",
    "for you to compare",
    "could not read its certificate",
)


def _strings(tree: ast.AST) -> list[str]:
    """The string literals of a module (f-strings' literal parts too), docstrings not."""
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def _text_event(node: ast.AST) -> bool:
    """An `Event(...)` call given a text after its stage, target and ok (or `detail=`)."""
    if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Event"):
        return False
    given = [*node.args[3:], *(k.value for k in node.keywords if k.arg == "detail")]
    return any(
        isinstance(a, ast.JoinedStr | ast.BinOp)
        or (isinstance(a, ast.Constant) and isinstance(a.value, str))
        for a in given
    )


def detection_sentences(sources: dict[str, str]) -> list[str]:
    """`module: phrase` for each detection sentence in a string literal, and
    `module:line Event(text)` for each progress event given a text instead of typed data."""
    found = []
    for name, text in sources.items():
        tree = ast.parse(text)
        strings = _strings(tree)
        found += [f"{name}: {p}" for p in DETECT_SENTENCES if any(p in s for s in strings)]
        found += [f"{name}:{n.lineno} Event(text)" for n in ast.walk(tree) if _text_event(n)]
    return found


# The outbox's refusals and the Sent copy are data in core (smtp_address PROBLEMS, the
# entry's `copy`), worded in tuimail.words: none of those sentences is written in core.
def _outbox_phrases() -> list[str]:
    from tuimail.words.outbox import _ADDRESS
    from tuimail.words.sent import _COPY, _COPY_STEP

    return [
        "not sent:",
        "waits in the outbox",
        *_ADDRESS.values(),
        *_COPY.values(),
        *_COPY_STEP.values(),
        "a local copy is kept",
    ]


def core_outbox_phrases(sources: dict[str, str]) -> list[str]:
    """`module: phrase` for each of the edge's outbox sentences in a core module's strings."""
    found = []
    for name, text in sources.items():
        literals = _strings(ast.parse(text))
        found += [f"{name}: {p}" for p in _outbox_phrases() if any(p in s for s in literals)]
    return found


# The per-protocol classifiers and the protocols' session code give a typed error a
# reason and data (tuimail.core.errors.REASONS), never a sentence: tuimail.words makes
# it. No typed error there is built with a text, and none gets a `.message` later.


def _error_names() -> set[str]:
    from tuimail.core import connect, pop3_errors  # noqa: F401  (their subclasses)
    from tuimail.core.compose import EditorError  # the $EDITOR text: typed too
    from tuimail.core.discovery.resolver import NameserverError  # --nameserver: typed too
    from tuimail.core.errors import MailError
    from tuimail.core.imap import actions, sync  # noqa: F401
    from tuimail.core.oauth2 import auth, flows, tokens  # noqa: F401
    from tuimail.core.secrets import PasswordError  # a password not obtained: typed too

    names, todo = set(), [MailError, PasswordError, EditorError, NameserverError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


_KEY = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")  # a problem's key ("not-a-header"), no words


def _text_arg(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr | ast.BinOp) or (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(node.value)
        and not _KEY.fullmatch(node.value)
    )


def classifier_sentences(sources: dict[str, str], names: set[str] | None = None) -> list[str]:
    """`module:line` for each typed error (`names`, default every MailError subclass)
    built with a text as its message, and each assignment to an error's `.message`."""
    names = _error_names() if names is None else names
    found = []
    for name, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call):
                func = node.func
                called = getattr(func, "id", None) or getattr(func, "attr", None)
                given = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "message")]
                if called in names and any(_text_arg(a) for a in given):
                    found.append(f"{name}:{node.lineno} {called}(text)")
            elif isinstance(node, ast.Assign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Attribute) and t.attr == "message" for t in targets):
                    found.append(f"{name}:{node.lineno} .message =")
    return found


# The doctor's findings made from failures are typed in core/doctor (CheckResult.failure
# and .data) and worded in tuimail.doctor_words: none of these sentences, no fix-text
# constant, and no exception's text made into a sentence may come back there.
DOCTOR_PHRASES = (
    "could not connect to",
    "cannot be found in DNS",
    "could not be read",
    "never confirmed",
    "no login was tried:",
    "no token was sent",
    "is not signed in",
    "no longer accepts this sign-in",
    "refused this application",
    "could not be asked for a token",
    "did not answer GETQUOTAROOT",
    "did not answer in time",
    "the connection failed",
    "rejected the login",
    "refused the login",
    "logging in as",
    "check the user name and password",
    "check the port and security settings",
    "opens INBOX read-only",
    # the round trip's findings and fixes (lost while waiting, not sent, junk, clean-up)
    "by hand",
    "checks above first",
    "run the doctor again",
    "other ports were not checked",
    "run the check again",
    "not spam",
    "filed in the junk folder",
    "arrived in INBOX",
    "did not arrive in",
    "no test message was sent",
    "was deleted from",
    "was moved to",
    "marked deleted but left",
    "no longer on the server",
    "announced by IMAP IDLE",
    "polled every",
    # the plain-text login and the sign-in checks' findings and fixes
    "plain-text login",
    "never sends a password in clear",
    "advertises LOGINDISABLED",
    "password travels unencrypted",
    "printed a token",
    "the access token is valid",
    "publishes no token introspection",
    "introspection endpoint answered",
    "the token is not active",
    "the token is active",
    "which the account asks for",
    "allow every permission",
    "sign in as",
    "sign in again",
    # a server offering no login method tuimail uses (login_checks.no_mechanism)
    "no login method tuimail supports",
    "tuimail logs in with",
    "offers only OAuth sign-in",
    "ask the provider which port",
    # a server offering no AUTH (server_checks), a mailbox nearly full (quota)
    "so no login was tried",
    "from a trusted network",
    "nearly full",
    "delete or archive",
    "is not encrypted (security = plain)",  # the TLS check of security = plain
    "so passwords and mail are encrypted",
)


def _caught_names(tree: ast.AST) -> set[str]:
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler) and n.name}


def _exception_text(node: ast.AST, caught: set[str]) -> bool:
    """`str(exc)`, or an f-string field `{exc}` / `{exc or ...}`, for a caught `exc`."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str":
        return any(isinstance(a, ast.Name) and a.id in caught for a in node.args)
    if isinstance(node, ast.FormattedValue):
        value = node.value
        if isinstance(value, ast.BoolOp):
            value = value.values[0]
        return isinstance(value, ast.Name) and value.id in caught
    return False


def doctor_wording(sources: dict[str, str]) -> list[str]:
    """`module: what` for each edge phrase, `*_FIX` constant or exception-text sentence
    found in core/doctor's sources."""
    found = []
    for name, text in sources.items():
        tree = ast.parse(text)
        caught = _caught_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                found += [
                    f"{name}: {t.id}"
                    for t in node.targets
                    if isinstance(t, ast.Name) and t.id.endswith("_FIX")
                ]
            elif _exception_text(node, caught):
                found.append(f"{name}:{node.lineno}: an exception's text")
        found += [f"{name}: {p}" for p in DOCTOR_PHRASES if p in text]
    return found


# A reply code is decided from the typed record (an int, an error's kind), never by
# reading the first characters of a stored reply's text ("4..." means try again).
def reply_text_decisions(sources: dict[str, str]) -> list[str]:
    """`module:line` for each comparison of a string's first characters with a reply
    code's digits: `text[:1] == "4"`, `text[0] in "45"`, `text.startswith("4")`."""
    digits = re.compile(r"^[2-5]([0-9]{2})?$|^[2-5]\.$")
    found = []
    for name, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            consts: list[ast.expr] = []
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Subscript):
                consts = list(node.comparators)
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "startswith":
                consts = list(node.args[:1])
                if consts and isinstance(consts[0], ast.Tuple):
                    consts = list(consts[0].elts)
            if any(
                isinstance(c, ast.Constant) and isinstance(c.value, str) and digits.match(c.value)
                for c in consts
            ):
                found.append(f"{name}:{node.lineno}")
    return found


# The facade's failures are a ServiceError with a reason and data (SERVICE_REASONS),
# worded in tuimail.words.service.service_words: no module under core words them, and no
# ServiceError is made from a caught exception's text.
SERVICE_PHRASES = (
    "That search did not work",
    "No reply to the list",
    "did not come through a mailing list",
    "does not accept posts",
    "could not run it",
    "There is no attachment number",
    "Cannot open the folder",
    "Cannot save",
    "Too many files named like",
    "Cannot read the attachment",
    "There is no account called",
    "There is no folder called",
    "cannot be deleted",
    "nothing to undo",
    "Not an e-mail address:",
    "at least one recipient",
    "saved to",  # opening an attachment (OpenResult)
    "No viewer found",
    "Could not start a viewer",
)


def facade_wording(sources: dict[str, str]) -> list[str]:
    """`module: phrase` for each moved sentence in a string literal, and `module:line`
    for each ServiceError given a caught exception's text."""
    found = []
    for name, text in sources.items():
        tree = ast.parse(text)
        literals = _strings(tree)
        found += [f"{name}: {p}" for p in SERVICE_PHRASES if any(p in s for s in literals)]
        caught = _caught_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ServiceError":
                if any(_exception_text(n, caught) for a in node.args for n in ast.walk(a)):
                    found.append(f"{name}:{node.lineno} ServiceError(exception text)")
    return found


# A failed DNS query is data (resolver.DNSError's reason and data), worded at the edge:
# neither discovery nor the doctor writes its sentence.
DNS_PHRASES = ("the DNS query for", "DNS is not answering", "DNS itself is not answering")


def dns_wording(sources: dict[str, str]) -> list[str]:
    """`module: phrase` for each DNS failure sentence in a string literal."""
    return [
        f"{name}: {phrase}"
        for name, text in sources.items()
        for phrase in DNS_PHRASES
        if any(phrase in s for s in _strings(ast.parse(text)))
    ]


# The delivery report's own DKIM check gives each signature a result, a reason and data
# (core/report/model.py DKIM_REASONS); its words are tuimail.words.dkim.dkim_detail's only.
def _dkim_phrases() -> list[str]:
    from tuimail.words.dkim import _DKIM

    # "malformed" also explains the provider's permerror (explain.py), which is not this
    phrases = [v for k, v in _DKIM.items() if k != "malformed"]
    return [
        *(p.split("{")[0].split("(")[0].rstrip(" :") for p in phrases),
        "the key could not be fetched",
    ]


def core_dkim_phrases(sources: dict[str, str]) -> list[str]:
    """`module: phrase` for each of the DKIM check's sentences in a core module's strings."""
    found = []
    for name, text in sources.items():
        literals = _strings(ast.parse(text))
        found += [f"{name}: {p}" for p in _dkim_phrases() if any(p in s for s in literals)]
    return found


# The doctor's observations (ok lines, capabilities, DNS records, ports, the certificate's
# expiry) are data in core (CheckResult.data "finding"), worded in tuimail.doctor_words and
# the doctor_*_words modules: no CheckResult under core is given a `seen` or `fix` text.
def check_result_texts(sources: dict[str, str]) -> list[str]:
    """`module:line` for each CheckResult(...) given anything but "" as `seen` or `fix`
    (its 4th and 5th arguments, or by keyword)."""
    found = []
    for name, text in sources.items():
        for node in ast.walk(ast.parse(text)):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "CheckResult"):
                continue
            given = [*node.args[3:5], *(k.value for k in node.keywords if k.arg in ("seen", "fix"))]
            if any(not (isinstance(a, ast.Constant) and a.value == "") for a in given):
                found.append(f"{name}:{node.lineno}")
    return found


# What core observes and reports back (the doctor's ok lines, DNS records and ports, an
# undo, a link opened, a piped command, new mail, a message's stored note, what was done
# to show a message) is data there (CheckResult.data, Undone, LinkOpened,
# PipeResult.failure, ViewPlan.reason, the store's NOTE_* kinds, mime.notes.Note),
# worded at the edge: none of these
# sentences may come back into core's string literals.
OBSERVATION_PHRASES = (
    # the doctor (tuimail.doctor_server_words, tuimail.doctor_dns_words)
    "TCP connect in",
    "logged in as",
    "trusted, expires in",
    "renew the certificate",
    "does not report a quota",
    "no storage limit",
    "% used",
    "the account does not use it",
    "usual ISP block",
    "no submission port answers",
    "a firewall drops it",
    "connection refused (closed)",
    "has no SPF record",
    "SPF records (",
    "anyone may send as you",
    "null MX",
    "has no MX record",
    "no MX host has an address",
    "consistent with the account",
    "RFC 6186 records are optional",
    "but the account uses",
    "has no PTR record",
    "resolve back to",
    "(and back)",
    "no DMARC record at",
    "DMARC records at",
    "monitoring only",
    "DKIM key at",
    "not published at",
    "only DNS was checked",
    "is this computer (RFC 6761)",
    "correct the account's email address",
    "is not a valid domain name",
    "has no domain part",
    "did not answer; try again later",
    "check the network connection and the DNS settings",
    # the facade and the app's helpers (tuimail.words)
    "Undone:",
    "Opened the link",
    "no program to open links",
    "Only http and https links",
    "The link could not be opened",
    "The command was stopped after",
    "The command could not run",
    "The mailcap command did not finish",
    "New mail from",
    # a thread's placeholder row (the list words it: ui/widgets/message_list)
    "message not here",
    # a LIST line that cannot be read (tuimail.words.reasons.LIST_LINE)
    "unterminated quoted name",
    "a literal that never came",
    "in a folder name",
    # a mailto: link that cannot start a message (tuimail.words.compose.mailto_words)
    "mailto: link is too long",
    "not a mailto: link",
    # an outbox entry's state (tuimail.words.outbox.state_label)
    "may have been sent",
    "sent to some recipients",
    # what was done to show a message (tuimail.words.notes.reader_note)
    "the charset was guessed",
    "shown as windows-1252",
    "remote content not loaded",
    "the signature was not checked",
    "does not decrypt",
    "too complex, showing raw",
    "part was truncated",
    "could not be laid out",
    "attachment was damaged",
    "part was damaged",
    "boundary not found",
    "Too many header fields",
    "Some headers could not be read",
    "header bytes could not be decoded",
    "for 8-bit text; decoded as",
    # the note a message is stored with (tuimail.words.notes)
    "could not be read in full",
    "shown shortened",
    "reported an impossible size",
    "answer for this message's headers",
)


def core_observation_phrases(sources: dict[str, str]) -> list[str]:
    """`module: phrase` for each observation sentence in a module's string literals."""
    found = []
    for name, text in sources.items():
        literals = _strings(ast.parse(text))
        found += [f"{name}: {p}" for p in OBSERVATION_PHRASES if any(p in s for s in literals)]
    return found


# A configuration file that cannot be used is a ConfigError with a problem and data
# (core/config.py CONFIG_PROBLEMS), worded in tuimail.words.config: no ConfigError is built
# with a sentence (as its message or in its data), and none of its phrases is in core.
CONFIG_PHRASES = ("must be", "did you mean", "docs/config.md", "cannot be", "is missing")


def config_error_sentences(sources: dict[str, str]) -> list[str]:
    """`module:line` for each ConfigError given a text (positional, or an f-string in its
    data), and `module: phrase` for each configuration-error phrase in a string literal."""
    found = classifier_sentences(sources, {"ConfigError"})
    for name, text in sources.items():
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ConfigError":
                if any(isinstance(k.value, ast.JoinedStr | ast.BinOp) for k in node.keywords):
                    found.append(f"{name}:{node.lineno} ConfigError(data=text)")
        literals = _strings(tree)
        found += [f"{name}: {p}" for p in CONFIG_PHRASES if any(p in s for s in literals)]
    return found


# -- The rules, and the one test of each -------------------------------------------------
#
# What is scanned: the sources under tuimail/core (or the folders a rule names). What is
# allowed to stay: docstrings and comments (never shown), log messages for developers
# (logging calls: the log is not for users), the names of checks and groups (labels
# that JSON consumers match), and the protocols' own words (commands, headers). Each rule
# also proves it would catch what it is for: its planted sources named "bad*" must be
# found, and those named "ok*" not (a guard that finds nothing proves nothing).


@dataclass(frozen=True)
class Rule:
    id: str
    scan: Callable[[dict[str, str]], list[str]]
    planted: dict[str, str]
    folders: tuple[str, ...] = ("",)  # under tuimail/core ("": all of it)
    skip: tuple[str, ...] = ()  # paths (from the repository's root) not scanned
    extra: tuple[str, ...] = ()  # other files scanned too (under tuimail/)

    def sources(self) -> dict[str, str]:
        paths = {p for folder in self.folders for p in (ROOT / "core" / folder).rglob("*.py")}
        paths |= {ROOT / name for name in self.extra}
        return {
            str(p.relative_to(ROOT.parent)): p.read_text("utf-8")
            for p in sorted(paths)
            if str(p.relative_to(ROOT.parent)) not in self.skip
        }


RULES = (
    Rule(
        "core imports no edge (cli, ui, words)",
        core_edge_imports,
        {
            "tuimail/core/imap/bad_ui.py": "import tuimail.ui.app\n",
            "tuimail/core/imap/bad_cli.py": "from tuimail.cli.words import describe\n",
            "tuimail/core/imap/bad_words.py": "from tuimail import words\n",
            "tuimail/core/imap/bad_relative.py": "def f():\n    from ...words import state\n",
            "tuimail/core/imap/bad_doctor.py": "from tuimail.doctor_words import seen\n",
            "tuimail/core/imap/ok.py": "from tuimail.core import errors\nimport wordsmith\n",
        },
    ),
    Rule(
        "no TLS phrase of the edge's in core",
        core_tls_phrases,
        {
            "bad_copied.py": f"X = {_tls_phrases()[0]!r}\n",
            "bad_table.py": "from tuimail.core.tls_findings import finding\n",
            "ok.py": "X = 1\n",
        },
    ),
    Rule(
        "discovery has no failure-wording function",
        discovery_wording,
        {
            "bad_function.py": "def describe_failure(exc):\n    return str(exc)\n",
            "bad_phrase.py": "X = 'The server rejected the login for you'\n",
            "ok.py": "def probe():\n    pass\n",
        },
        folders=("discovery",),
    ),
    Rule(
        "detection makes no sentences",
        detection_sentences,
        {
            "bad_trust.py": 'def f(c):\n    return f"The server {c} is outside; make sure you trust it."\n',
            "bad_event.py": 'def g(exc, e):\n    e(Event("mx", "d", False, f"failed ({exc})"))\n',
            "ok_docstring.py": '"""Not tried: no MX record in a docstring."""\nX = Event("mx", "d", False)\n',
            "bad_srv.py": 'def h(n):\n    return Event("srv", "d", True, f"{n} SRV record(s)")\n',
        },
        folders=("discovery",),
    ),
    Rule(
        "no outbox refusal or Sent-copy sentence in core",
        core_outbox_phrases,
        {
            "bad_refused.py": 'refused[rcpt] = f"not sent: {exc}"\n',
            "bad_copy.py": 'def f():\n    return "not saved: the server keeps its own copy (save_sent_copy is off)"\n',
            "ok_comment.py": '"""What waits in the outbox."""\n# not sent: a comment\nX = 1\n',
        },
    ),
    Rule(
        "typed errors get reasons, not sentences",
        classifier_sentences,
        {
            "bad_message.py": 'def f(kw):\n    return ServerBusy("the mail server is busy", **kw)\n',
            "bad_assigned.py": 'def g(e, u):\n    e.message = f"login failed for {u}"\n',
            "bad_keyword.py": 'def h(n):\n    return Pop3Refused(message=f"no {n}")\n',
            "bad_password.py": 'def j(w):\n    raise PasswordError(f"The {w} printed nothing.")\n',
            "ok_password.py": 'def k(w):\n    raise PasswordError(problem="empty", what=w)\n',
            "bad_editor.py": 'def m(n):\n    raise EditorError(f"line {n} is not a header")\n',
            "bad_constant.py": 'def p():\n    raise EditorError("the From header has no address")\n',
            "ok_editor.py": 'def q(n):\n    raise EditorError("not-a-header", line=n)\n',
            "ok_reason.py": 'def i(kw):\n    return ServerBusy(reason="in-use", **kw)\n',
        },
        skip=("tuimail/core/errors.py",),  # it keeps the message it is given
        extra=("ui/app.py",),  # the app's sign-in: a NeedsSignIn from its code and account
    ),
    Rule(
        "the doctor words no failure",
        doctor_wording,
        {
            "bad_fix.py": "PORT_FIX = 'check the port'\n",
            "bad_phrase.py": "def f(h):\n    return f'could not connect to {h}'\n",
            "bad_str.py": "def f():\n    try:\n        g()\n    except OSError as exc:\n        return str(exc)\n",
            "bad_field.py": "def f():\n    try:\n        g()\n    except OSError as e:\n        return f'no: {e or 1}'\n",
            "ok_code.py": "def f(error):\n    return str(error.code)\n",
        },
        folders=("doctor",),
    ),
    Rule(
        "no CheckResult in core is given words",
        check_result_texts,
        {
            "bad_seen.py": 'def f(g):\n    return CheckResult("quota", g, "ok", "no storage limit is set")\n',
            "bad_fix.py": 'def f(g, t):\n    return CheckResult("MX", g, "ok", "", f"publish {t}", t)\n',
            "bad_keyword.py": 'def f(g, s):\n    return CheckResult("tls", g, "ok", seen=f"{s}, TLSv1.3")\n',
            "ok_data.py": 'def f(g, t, d):\n    return CheckResult("MX", g, "ok", "", "", t, data=d)\n',
        },
    ),
    Rule(
        "what core observes is data, worded at the edge",
        core_observation_phrases,
        {
            "bad_undo.py": 'def undo(self):\n    return f"Undone: {label.lower()}"\n',
            "bad_ok.py": 'def f(took):\n    return f"TCP connect in {took * 1000:.0f} ms"\n',
            "bad_fix.py": 'FIX = "the server\'s administrator should renew the certificate soon"\n',
            "bad_link.py": 'def f():\n    return "Opened the link in the browser."\n',
            "ok_data.py": '"""Undone: a docstring may say so."""\nX = Undone("move", 3)\n',
        },
    ),
    Rule(
        "no reply code read from a reply's text",
        reply_text_decisions,
        {
            "bad_slice.py": 'def f(r):\n    return r[:1] == "4"\n',
            "bad_startswith.py": 'def g(r):\n    return r.startswith("4")\n',
            "bad_tuple.py": 'def h(r):\n    return r.startswith(("421", "450"))\n',
            "ok_code.py": "def i(r):\n    return 400 <= r['code'] < 500\n",
        },
        skip=("tuimail/core/smtp_errors.py",),  # the SMTP classifier reads enhanced codes
    ),
    Rule(
        "the facade makes no sentence from a failure",
        facade_wording,
        {
            "bad_str.py": "def f():\n    try:\n        g()\n    except E as exc:\n"
            "        raise ServiceError(str(exc))\n",
            "bad_field.py": "def f():\n    try:\n        g()\n    except E as exc:\n"
            "        raise ServiceError(f'No: {exc}.')\n",
            "bad_phrase.py": "X = 'That search did not work'\n",
            "ok_reason.py": "def f():\n    raise ServiceError(reason='search', data={'detail': 'x'})\n",
        },
    ),
    Rule(
        "discovery and the doctor word no DNS failure",
        dns_wording,
        {
            "bad_query.py": 'def f(n, r):\n    return f"the DNS query for {n} failed ({r})"\n',
            "bad_down.py": 'X = "DNS itself is not answering"\n',
            "ok_docstring.py": '"""DNS is not answering: said at the edge."""\nX = "dns-down"\n',
        },
        folders=("discovery", "doctor", "report"),
    ),
    Rule(
        "configuration errors are data, worded at the edge",
        config_error_sentences,
        {
            "bad_message.py": 'def f(p):\n    raise ConfigError(f"{p}: the file is not valid UTF-8.")\n',
            "bad_data.py": 'def g(p, k):\n    raise ConfigError("choice", detail=f"{k} must be one of")\n',
            "bad_phrase.py": 'def h(k):\n    return f"unknown key {k} (did you mean {k}s?)"\n',
            "ok_data.py": 'def i(p, k):\n    raise ConfigError("unknown-key", path=str(p), key=k)\n',
        },
        folders=(),
        extra=("core/config.py",),
    ),
    Rule(
        "the DKIM check's words are not in core",
        core_dkim_phrases,
        {
            "bad_verify.py": 'def f(exc):\n    return "fail", f"the signature does not verify ({exc})"\n',
            "bad_key.py": 'X = "the key could not be fetched (timed out)"\n',
            "ok_docstring.py": '"""The signature is malformed: a docstring may say so."""\nX = "malformed"\n',
        },
    ),
)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_core_keeps_the_rule(rule: Rule) -> None:
    sources = rule.sources()
    assert sources, f"{rule.id}: nothing scanned"
    bad = rule.scan(sources)
    assert not bad, f"{rule.id}:\n" + "\n".join(bad)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_the_scan_would_catch_a_breach(rule: Rule) -> None:
    """Each planted "bad*" source is found, no "ok*" one is."""
    caught = {hit.split(":")[0] for hit in rule.scan(rule.planted)}
    planted_bad = {name for name in rule.planted if Path(name).name.startswith("bad")}
    assert planted_bad and caught == planted_bad, (rule.id, sorted(caught))


def test_the_second_tls_table_stays_deleted() -> None:
    assert not (ROOT / "core" / "tls_findings.py").exists()
