"""Layers (issue 13): core makes no sentences for people and never reaches up to the
edge. An AST scan of every module under tuimail/core: none imports tuimail.cli,
tuimail.ui or tuimail.words (the edge's words), at module level or inside a function."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "tuimail"
EDGE = ("tuimail.cli", "tuimail.ui", "tuimail.words")


def _edge(module: str) -> bool:
    return any(module == e or module.startswith(e + ".") for e in EDGE)


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


def test_core_never_imports_the_cli_the_ui_or_the_words() -> None:
    bad = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        package = ".".join(rel.parts[:-1]) if rel.name != "__init__" else ".".join(rel.parts)
        bad += [f"{rel}: {hit}" for hit in edge_imports(path.read_text("utf-8"), package)]
    assert not bad, "core imports the edge:\n" + "\n".join(bad)


def test_the_scan_sees_every_form_of_import() -> None:
    """The guard would catch what it is for (a guard that finds nothing proves nothing)."""
    source = (
        "import tuimail.ui.app\n"
        "from tuimail.cli.words import describe\n"
        "from tuimail import words\n"
        "def f():\n    from ...words import state\n"
        "from tuimail.core import errors\n"
    )
    hits = edge_imports(source, "tuimail.core.imap")
    assert [h.split(":")[0] for h in hits] == [
        "tuimail.ui.app",
        "tuimail.cli.words",
        "tuimail.words",
        "tuimail.words",
    ], hits


def _tls_phrases() -> list[str]:
    from tuimail import words

    return [*words._SECURITY.values(), *words._UNTRUSTED.values()]


def core_tls_phrases(sources: dict[str, str]) -> list[str]:
    """`module: phrase` for each of the edge's TLS sentences (tuimail.words) found in a
    core module's source, and each mention of the deleted second table (tls_findings)."""
    found = []
    for name, text in sources.items():
        found += [f"{name}: {p}" for p in _tls_phrases() if p in text]
        if "tls_findings" in text:
            found.append(f"{name}: tls_findings")
    return found


def test_no_module_under_core_holds_tls_phrases() -> None:
    """TLS failures are worded once, at the edge (tuimail.words, tuimail.detect_words,
    tuimail.doctor_words): core hands out the typed SecurityFailure."""
    assert not (ROOT / "core" / "tls_findings.py").exists()
    sources = {
        str(p.relative_to(ROOT.parent)): p.read_text("utf-8")
        for p in sorted((ROOT / "core").rglob("*.py"))
    }
    bad = core_tls_phrases(sources)
    assert not bad, "TLS phrases in core:\n" + "\n".join(bad)


def test_the_phrase_scan_would_see_a_copied_table() -> None:
    copied = {
        "a.py": f"X = {_tls_phrases()[0]!r}\n",
        "b.py": "from tuimail.core.tls_findings import finding\n",
        "c.py": "X = 1\n",
    }
    assert [h.split(":")[0] for h in core_tls_phrases(copied)] == ["a.py", "b.py"]


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


def test_detection_in_core_words_no_failure() -> None:
    sources = {
        str(p.relative_to(ROOT.parent)): p.read_text("utf-8")
        for p in sorted((ROOT / "core" / "discovery").rglob("*.py"))
    }
    bad = discovery_wording(sources)
    assert not bad, "failure wording in core/discovery:\n" + "\n".join(bad)


def test_the_discovery_scan_would_see_a_wording_function() -> None:
    sources = {
        "a.py": "def describe_failure(exc):\n    return str(exc)\n",
        "b.py": "X = 'The server rejected the login for you'\n",
        "c.py": "def probe():\n    pass\n",
    }
    assert [h.split(":")[0] for h in discovery_wording(sources)] == ["a.py", "b.py"]


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


def test_detection_in_core_makes_no_sentences() -> None:
    """What needs a yes, the warnings, why nothing was found, the look-ups' and pins'
    outcomes and a probe's or login's success are typed in core/discovery."""
    sources = {
        str(p.relative_to(ROOT.parent)): p.read_text("utf-8")
        for p in sorted((ROOT / "core" / "discovery").rglob("*.py"))
    }
    bad = detection_sentences(sources)
    assert not bad, "detection sentences in core/discovery:\n" + "\n".join(bad)


def test_the_detection_scan_would_see_a_sentence_coming_back() -> None:
    sources = {
        "a.py": 'def f(c):\n    return f"The server {c} is outside x; make sure you trust it."\n',
        "b.py": 'def g(exc, e):\n    e(Event("mx", "d", False, f"failed ({exc})"))\n',
        "c.py": '"""Not tried: no MX record in a docstring is fine."""\nX = Event("mx", "d", False)\n',
        "d.py": 'def h(n):\n    return Event("srv", "d", True, f"{n} SRV record(s)")\n',
    }
    hits = detection_sentences(sources)
    assert sorted({h.split(":")[0] for h in hits}) == ["a.py", "b.py", "d.py"], hits
    assert any("Event(text)" in h for h in hits if h.startswith("b.py")), hits


# The outbox's refusals and the Sent copy are data in core (smtp_address PROBLEMS, the
# entry's `copy`), worded in tuimail.words: none of those sentences is written in core.
def _outbox_phrases() -> list[str]:
    from tuimail import words

    return [
        "not sent:",
        "waits in the outbox",
        *words._ADDRESS.values(),
        *words._COPY.values(),
        *words._COPY_STEP.values(),
        "a local copy is kept",
    ]


def core_outbox_phrases(sources: dict[str, str]) -> list[str]:
    """`module: phrase` for each of the edge's outbox sentences in a core module's strings."""
    found = []
    for name, text in sources.items():
        literals = _strings(ast.parse(text))
        found += [f"{name}: {p}" for p in _outbox_phrases() if any(p in s for s in literals)]
    return found


def test_no_module_under_core_words_refusals_or_the_sent_copy() -> None:
    sources = {
        str(p.relative_to(ROOT.parent)): p.read_text("utf-8")
        for p in sorted((ROOT / "core").rglob("*.py"))
    }
    bad = core_outbox_phrases(sources)
    assert not bad, "outbox sentences in core:\n" + "\n".join(bad)


def test_the_outbox_phrase_scan_would_see_a_sentence() -> None:
    sources = {
        "a.py": 'refused[rcpt] = f"not sent: {exc}"\n',
        "b.py": 'def f():\n    return "not saved: the server keeps its own copy (save_sent_copy is off)"\n',
        "c.py": '"""What waits in the outbox."""\n# not sent: a comment\nX = 1\n',
    }
    assert [h.split(":")[0] for h in core_outbox_phrases(sources)] == ["a.py", "b.py"]


# The per-protocol classifiers and the protocols' session code give a typed error a
# reason and data (tuimail.core.errors.REASONS), never a sentence: tuimail.words makes
# it. No typed error there is built with a text, and none gets a `.message` later.
CLASSIFIERS = (
    "core/net_errors.py",
    "core/smtp_errors.py",
    "core/imap/errors.py",
    "core/imap/login.py",
    "core/pop3_errors.py",
    "core/pop3.py",
    "core/connect.py",
    "core/sent_copy.py",
    "core/imap/uidlist.py",
    "core/imap/sync.py",
    "core/imap/actions.py",
    "core/imap/fetchscan.py",
    "core/imap/idle_changes.py",
    "core/discovery/probe.py",
    "core/discovery/detect.py",
    "core/discovery/autoconfig.py",
    "core/oauth2/auth.py",
    "core/oauth2/flows.py",
    "core/oauth2/http.py",
    "core/oauth2/tokens.py",
    "ui/app.py",  # the app's sign-in: a NeedsSignIn is worded from its code and account
)


def _error_names() -> set[str]:
    from tuimail.core import connect, pop3_errors  # noqa: F401  (their subclasses)
    from tuimail.core.errors import MailError
    from tuimail.core.imap import actions, sync  # noqa: F401
    from tuimail.core.oauth2 import auth, flows, tokens  # noqa: F401

    names, todo = set(), [MailError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def _text_arg(node: ast.expr) -> bool:
    return isinstance(node, ast.JoinedStr | ast.BinOp) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(node.value)
    )


def classifier_sentences(sources: dict[str, str], names: set[str]) -> list[str]:
    """`module:line` for each typed error (`names`) built with a text as its message,
    and each assignment to an error's `.message`."""
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


def test_the_classifiers_give_reasons_not_sentences() -> None:
    named = {m: (ROOT / m).read_text("utf-8") for m in CLASSIFIERS}
    # Every other module of core too (errors.py itself keeps the message it is given).
    rest = {
        str(p.relative_to(ROOT)): p.read_text("utf-8")
        for p in sorted((ROOT / "core").rglob("*.py"))
        if p.name != "errors.py" or p.parent.name != "core"
    }
    sources = {**rest, **named}
    bad = classifier_sentences(sources, _error_names())
    assert not bad, "sentences made by a classifier:\n" + "\n".join(bad)


def test_the_classifier_scan_would_see_a_sentence() -> None:
    sources = {
        "a.py": 'def f(kw):\n    return ServerBusy("the mail server is busy", **kw)\n',
        "b.py": 'def g(e, u):\n    e.message = f"login failed for {u}"\n',
        "c.py": 'def h(n):\n    return Pop3Refused(message=f"no {n}")\n',
        "d.py": 'def i(kw):\n    return ServerBusy(reason="in-use", **kw)\n',
    }
    hits = classifier_sentences(sources, _error_names())
    assert sorted(h.split(":")[0] for h in hits) == ["a.py", "b.py", "c.py"], hits


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


def test_the_doctor_in_core_words_no_failure() -> None:
    sources = {
        str(p.relative_to(ROOT.parent)): p.read_text("utf-8")
        for p in sorted((ROOT / "core" / "doctor").rglob("*.py"))
    }
    bad = doctor_wording(sources)
    assert not bad, "failure wording in core/doctor:\n" + "\n".join(bad)


def test_the_doctor_scan_would_see_each_kind_of_wording() -> None:
    sources = {
        "a.py": "PORT_FIX = 'check the port'\n",
        "b.py": "def f(h):\n    return f'could not connect to {h}'\n",
        "c.py": "def f():\n    try:\n        g()\n    except OSError as exc:\n        return str(exc)\n",
        "d.py": "def f():\n    try:\n        g()\n    except OSError as e:\n        return f'no: {e or 1}'\n",
        "e.py": "def f(error):\n    return str(error.code)\n",
    }
    assert [h.split(":")[0] for h in doctor_wording(sources)] == ["a.py", "b.py", "c.py", "d.py"]


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


def test_no_reply_code_is_read_from_a_reply_text() -> None:
    sources = {
        str(p.relative_to(ROOT)): p.read_text("utf-8")
        for p in (ROOT / "core").rglob("*.py")
        if p.name != "smtp_errors.py"  # the SMTP classifier reads enhanced codes ("4.")
    }
    bad = reply_text_decisions(sources)
    assert not bad, "reply codes read from text:\n" + "\n".join(bad)


def test_the_reply_text_scan_would_see_each_form() -> None:
    sources = {
        "a.py": 'def f(r):\n    return r[:1] == "4"\n',
        "b.py": 'def g(r):\n    return r.startswith("4")\n',
        "c.py": 'def h(r):\n    return r.startswith(("421", "450"))\n',
        "d.py": "def i(r):\n    return 400 <= r['code'] < 500\n",
    }
    hits = reply_text_decisions(sources)
    assert sorted(h.split(":")[0] for h in hits) == ["a.py", "b.py", "c.py"], hits


# The facade's failures are a ServiceError with a reason and data (SERVICE_REASONS),
# worded in tuimail.words.service_words: no module under core words them, and no
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


def test_the_facade_makes_no_sentence_from_a_failure() -> None:
    sources = {
        str(p.relative_to(ROOT.parent)): p.read_text("utf-8")
        for p in sorted((ROOT / "core").rglob("*.py"))
    }
    bad = facade_wording(sources)
    assert not bad, "failure sentences in core:\n" + "\n".join(bad)


# A failed DNS query is data (resolver.DNSError's reason and data), worded at the edge:
# neither discovery nor the doctor writes its sentence.
DNS_PHRASES = ("the DNS query for", "DNS is not answering", "DNS itself is not answering")


def test_discovery_and_the_doctor_word_no_dns_failure() -> None:
    bad = [
        f"{p.relative_to(ROOT.parent)}: {phrase}"
        for folder in ("discovery", "doctor", "report")
        for p in sorted((ROOT / "core" / folder).rglob("*.py"))
        for phrase in DNS_PHRASES
        if any(phrase in s for s in _strings(ast.parse(p.read_text("utf-8"))))
    ]
    assert not bad, "DNS failure sentences in core:\n" + "\n".join(bad)


def test_the_facade_scan_would_see_each_form() -> None:
    sources = {
        "a.py": "def f():\n    try:\n        g()\n    except E as exc:\n"
        "        raise ServiceError(str(exc))\n",
        "b.py": "def f():\n    try:\n        g()\n    except E as exc:\n"
        "        raise ServiceError(f'No: {exc}.')\n",
        "c.py": "X = 'That search did not work'\n",
        "d.py": "def f():\n    raise ServiceError(reason='search', data={'detail': 'x'})\n",
    }
    assert sorted({h.split(":")[0] for h in facade_wording(sources)}) == ["a.py", "b.py", "c.py"]


# The delivery report's own DKIM check gives each signature a result, a reason and data
# (core/report/model.py DKIM_REASONS); its words are tuimail.words.dkim_detail's only.
def _dkim_phrases() -> list[str]:
    from tuimail import words

    # "malformed" also explains the provider's permerror (explain.py), which is not this
    phrases = [v for k, v in words._DKIM.items() if k != "malformed"]
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


def test_no_module_under_core_words_the_dkim_check() -> None:
    sources = {
        str(p.relative_to(ROOT.parent)): p.read_text("utf-8")
        for p in sorted((ROOT / "core").rglob("*.py"))
    }
    bad = core_dkim_phrases(sources)
    assert not bad, "DKIM check sentences in core:\n" + "\n".join(bad)


def test_the_dkim_phrase_scan_would_see_a_sentence() -> None:
    sources = {
        "a.py": 'def f(exc):\n    return "fail", f"the signature does not verify ({exc})"\n',
        "b.py": 'X = "the key could not be fetched (timed out)"\n',
        "c.py": '"""The signature is malformed: a docstring may say so."""\nX = "malformed"\n',
    }
    assert [h.split(":")[0] for h in core_dkim_phrases(sources)] == ["a.py", "b.py"]


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


def test_no_check_result_in_core_is_given_words() -> None:
    sources = {
        str(p.relative_to(ROOT.parent)): p.read_text("utf-8")
        for p in sorted((ROOT / "core").rglob("*.py"))
    }
    bad = check_result_texts(sources)
    assert not bad, "CheckResult given words in core:\n" + "\n".join(bad)


def test_the_check_result_scan_would_see_words() -> None:
    sources = {
        "a.py": 'def f(g):\n    return CheckResult("quota", g, "ok", "no storage limit is set")\n',
        "b.py": 'def f(g, t):\n    return CheckResult("MX", g, "ok", "", f"publish {t}", t)\n',
        "c.py": 'def f(g, s):\n    return CheckResult("tls", g, "ok", seen=f"{s}, TLSv1.3")\n',
        "d.py": 'def f(g, t, d):\n    return CheckResult("MX", g, "ok", "", "", t, data=d)\n',
    }
    assert [h.split(":")[0] for h in check_result_texts(sources)] == ["a.py", "b.py", "c.py"]
