"""The manual pages in docs/: tuimail(1) from the argparse parser (argparse-manpage),
tuimail-config(5) from docs/config.md. `python scripts/make_manpages.py` writes both; tests
check that the committed pages name every command, option and key."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tuimail.cli.exits import EPILOG

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLES = r"""
.TP
.B tuimail account add work \-\-email alice@example.org \-\-detect
find the servers, check the login, save the account
.TP
.B tuimail sync && tuimail list \-\-json | jq \-r '.[].subject'
fetch new mail, then print the subjects of the newest messages
.TP
.B git send\-email \-\-sendmail\-cmd='tuimail send' 0001\-fix.patch
send a patch through tuimail's outbox
.TP
.B tuimail completions bash > ~/.local/share/bash\-completion/completions/tuimail
install the bash completion
"""
SEE_ALSO = r"""
.BR tuimail\-config (5),
.BR git\-send\-email (1),
.BR sendmail (8),
.BR msmtp (1)
"""


def _roff_text(text: str) -> str:
    """Plain text made safe for roff: backslashes, hyphens, and no leading dot/quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return re.sub(r"^([.'])", r"\\&\1", text, flags=re.M)


def _extra_sections() -> str:
    """argparse-manpage's include format: [SECTION] then roff."""
    return f"""[EXIT STATUS]
{_status_items()}
[FILES]
.TP
.I $XDG_CONFIG_HOME/tuimail/config.toml
the configuration (see
.BR tuimail\\-config (5))
.TP
.I $XDG_DATA_HOME/tuimail/
the message store, the outbox and sent messages
.TP
.I $XDG_STATE_HOME/tuimail/tuimail.log
the log (rotated at 1 MB; never passwords or message content)
[ENVIRONMENT]
.TP
.B XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME, XDG_STATE_HOME
where the files above live (defaults: ~/.config, ~/.local/share, ~/.cache, ~/.local/state)
.TP
.B NO_COLOR, TERM=dumb, FORCE_COLOR
colour in the output of
.B tuimail doctor
.TP
.B EDITOR, VISUAL
the editor the composer opens
[EXAMPLES]
{EXAMPLES.strip()}
[SEE ALSO]
{SEE_ALSO.strip()}
"""


def _status_items() -> str:
    items = []
    for line in EPILOG.splitlines()[1:]:
        m = re.match(r"\s+(\d+)\s+(.*)", line)
        if m:
            items.append([m.group(1), m.group(2)])
        elif items:
            items[-1][1] += " " + line.strip()
    return "\n".join(f".TP\n.B {code}\n{_roff_text(text)}" for code, text in items)


def tuimail_1(date: str) -> str:
    """tuimail(1), from the parser the `tuimail` command uses."""
    from tuimail import __version__
    from tuimail.__main__ import build_parser

    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"  # argparse wraps usage lines at the terminal's width
    try:
        return _tuimail_1(build_parser(), date, __version__)
    finally:
        if columns is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = columns


def _tuimail_1(parser, date: str, version: str) -> str:
    import tempfile

    from build_manpages.manpage import Manpage

    parser.epilog = None  # the exit statuses get their own section
    with tempfile.NamedTemporaryFile("w", suffix=".include") as include:
        include.write(_extra_sections())
        include.flush()
        page = Manpage(
            parser,
            _data={
                "date": date,
                "project_name": "tuimail",
                "version": version,
                "manual_title": "tuimail manual",
                "description": "a terminal mail client (IMAP, POP3, SMTP)",
                "include": include.name,
            },
        )
        return str(page)


# -- tuimail-config(5) from docs/config.md --------------------------------------------


def _inline(text: str) -> str:
    text = _roff_text(text)
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\1 (\2)", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    return re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)


def tuimail_config_5(markdown: str, date: str) -> str:
    """tuimail-config(5): docs/config.md (headings, paragraphs, lists, tables, code)."""
    from tuimail import __version__

    out = [
        f'.TH TUIMAIL\\-CONFIG "5" "{date}" "tuimail {__version__}" "tuimail manual"',
        ".SH NAME",
        "tuimail\\-config \\- the tuimail configuration file, every key",
    ]
    lines = markdown.splitlines()
    i = 0
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(".PP")
            out.append(_inline(" ".join(paragraph)))
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            flush()
            out += [".RS 4", ".nf"]
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(_roff_text(lines[i]) or "\\&")
                i += 1
            out += [".fi", ".RE"]
        elif line.startswith("# "):
            flush()
            out.append(".SH DESCRIPTION")
        elif line.startswith("## "):
            flush()
            out.append(f'.SH "{_inline(line[3:].strip()).upper()}"')
        elif line.startswith("#"):
            flush()
            out.append(f".SS {_inline(line.lstrip('#').strip())}")
        elif line.startswith("|"):
            flush()
            if not re.match(r"^\|[\s:|-]+\|$", line):
                cells = [c.strip() for c in line.strip("|").split("|")]
                out += [".IP \\(bu 2", _inline(" \\(em ".join(cells)).replace("\\e(em", "\\(em")]
        elif re.match(r"^\s*[-*] ", line):
            flush()
            out += [".IP \\(bu 2", _inline(re.sub(r"^\s*[-*] ", "", line))]
        elif not line.strip():
            flush()
        else:
            paragraph.append(line.strip())
        i += 1
    flush()
    out += [".SH SEE ALSO", ".BR tuimail (1)"]
    return "\n".join(out) + "\n"


def write_all(date: str, docs: Path = DOCS) -> list[Path]:
    pages = {
        docs / "tuimail.1": tuimail_1(date),
        docs / "tuimail-config.5": tuimail_config_5((docs / "config.md").read_text(), date),
    }
    for path, text in pages.items():
        path.write_text(text)
    return list(pages)
