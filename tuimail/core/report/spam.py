"""X-Spam-* headers (SpamAssassin, rspamd and friends) read and explained."""

from __future__ import annotations

import re

from tuimail.core.report.model import Explanation, SpamInfo
from tuimail.core.sanitize import sanitize

MAX_TESTS = 40
_SCORE = re.compile(r"\b(?:score|hits)=(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_REQUIRED = re.compile(r"\brequired=(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_TESTS = re.compile(r"\btests=([A-Za-z0-9_,\s.-]*?)(?=\s+[a-z_]+=|$)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

# The rules people see most often, in a few words (SpamAssassin names; prefix matches).
RULES = {
    "BAYES_99": "the filter's learned statistics are almost sure it is spam",
    "BAYES_9": "the filter's learned statistics think it is likely spam",
    "BAYES_00": "the filter's learned statistics are sure it is not spam",
    "BAYES_": "the filter's learned statistics",
    "SPF_FAIL": "SPF says the sending server may not send for this domain",
    "SPF_SOFTFAIL": "SPF says the sending server is probably not allowed",
    "SPF_PASS": "SPF passed",
    "SPF_HELO": "the sending server's greeting name was checked by SPF",
    "DKIM_VALID": "a valid DKIM signature",
    "DKIM_INVALID": "a DKIM signature that does not verify",
    "DKIM_SIGNED": "the message is DKIM-signed",
    "DMARC_": "a DMARC check on the From domain",
    "RDNS_NONE": "the sending server's address has no host name (reverse DNS)",
    "RDNS_DYNAMIC": "the sending server's host name looks like a home connection",
    "URIBL_": "a link in the message points to a domain on a spam block list",
    "RCVD_IN_DNSWL_NONE": "the sending server is on an allow list, with no trust given",
    "RCVD_IN_DNSWL": "the sending server is on an allow list of known senders",
    "RCVD_IN_": "the sending server is on a block list",
    "HEADER_FROM_DIFFERENT_DOMAINS": "the From domain differs from the envelope's (normal for lists)",
    "AWL": "an adjustment from this sender's past scores",
    "TXREP": "an adjustment from this sender's past scores",
    "RP_MATCHES_RCVD": "the bounce address matches the sending server",
    "HTML_MESSAGE": "the message contains HTML (a small, harmless sign)",
    "HTML_IMAGE_ONLY": "the message is mostly images with little text",
    "MIME_HTML_ONLY": "HTML only, no plain-text version",
    "FREEMAIL_FROM": "sent from a free mail service",
    "FREEMAIL_FORGED": "claims to be from a free mail service but was not sent by it",
    "MISSING_DATE": "the message has no Date header",
    "MISSING_MID": "the message has no Message-ID",
    "MISSING_HEADERS": "required headers are missing",
    "SUBJ_ALL_CAPS": "the subject is written in capitals",
    "FORGED_": "a header appears forged",
    "PYZOR_CHECK": "the message is listed in the Pyzor spam database",
    "RAZOR2_": "the message is listed in the Razor spam database",
    "DCC_CHECK": "the message was sent in bulk (DCC)",
}


def explain_rule(name: str) -> str:
    """A few words for a SpamAssassin rule name ("" if unknown); T_ rules are on trial."""
    upper = name.upper()
    trial = upper.startswith("T_")
    if trial:
        upper = upper[2:]
    for prefix in sorted(RULES, key=len, reverse=True):
        if upper.startswith(prefix):
            return RULES[prefix] + (" (a rule on trial)" if trial else "")
    return "a rule on trial" if trial else ""


def read_spam(headers: list[tuple[str, str]]) -> SpamInfo | None:
    """All X-Spam-* headers (name, value) -> what they claim, or None if there are none."""
    spam = [(n, " ".join(str(v).split())) for n, v in headers if n.lower().startswith("x-spam")]
    if not spam:
        return None
    flagged: bool | None = None
    score: float | None = None
    required: float | None = None
    tests: list[str] = []
    for name, value in spam:
        lname = name.lower()
        if lname in ("x-spam-status", "x-spam"):
            word = value.split(",", 1)[0].split(" ", 1)[0].strip().lower()
            if word in ("yes", "no", "true", "false"):
                flagged = word in ("yes", "true") if flagged is None else flagged
        if lname == "x-spam-flag":
            flagged = value.strip().lower() in ("yes", "true")
        if score is None:
            m = _SCORE.search(value)
            if m:
                score = float(m.group(1))
            elif lname == "x-spam-score":
                n = _NUMBER.search(value)
                score = float(n.group()) if n else None
        if required is None:
            m = _REQUIRED.search(value)
            required = float(m.group(1)) if m else None
        m = _TESTS.search(value)
        if m and not tests:
            tests = [t.strip() for t in m.group(1).split(",") if t.strip()][:MAX_TESTS]
        if lname == "x-spam-level" and score is None and set(value.strip()) == {"*"}:
            score = float(len(value.strip()))
    return SpamInfo(
        flagged=flagged,
        score=score,
        required=required,
        tests=tuple(sanitize(t) for t in tests),
        headers=tuple((sanitize(n), sanitize(v[:500])) for n, v in spam[:20]),
    )


def explain_spam(info: SpamInfo) -> list[Explanation]:
    """Sentences for the X-Spam-* claims."""
    out: list[Explanation] = []
    if info.score is not None:
        text = f"A spam filter on the way gave this message {info.score:g} points"
        if info.required is not None:
            text += f"; {info.required:g} points count as spam"
        if info.flagged is True or (
            info.flagged is None and info.required is not None and info.score >= info.required
        ):
            text += ", so it was marked as spam."
            level = "warning"
        else:
            text += ", so it was not marked as spam." if info.flagged is False else "."
            level = "info"
        out.append(Explanation("spam", level, text))
    elif info.flagged is not None:
        out.append(
            Explanation(
                "spam",
                "warning" if info.flagged else "info",
                "A spam filter on the way marked this message as spam."
                if info.flagged
                else "A spam filter on the way did not consider this message spam.",
            )
        )
    for test in info.tests:
        meaning = explain_rule(test)
        out.append(Explanation("spam", "info", f"  {test}" + (f": {meaning}" if meaning else "")))
    if out:
        out.append(
            Explanation(
                "spam",
                "info",
                "These X-Spam headers were added by some server on the way; tuimail cannot "
                "tell which one, so they are a claim, not a verified result.",
            )
        )
    return out
