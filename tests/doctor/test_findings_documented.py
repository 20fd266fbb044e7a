"""Every kind of finding the doctor hands out as data is listed in docs/json.md
(`tuimail doctor --json` carries it as `finding`) and has words at the edge."""

from __future__ import annotations

import re
from pathlib import Path

from tuimail import doctor_dns_words, doctor_server_words, doctor_words

ROOT = Path(__file__).resolve().parents[2]
_LITERAL = re.compile(
    r'"finding":\s*"([a-z0-9-]+)" if .* else "([a-z0-9-]+)"'
    r'|"finding":\s*"([a-z0-9-]+)"'  # data = {"finding": "mx", ...}
    r'|_found\(\s*[^,]+,\s*\w+,\s*"\w+",\s*"([a-z0-9-]+)"'  # _found(name, group, st, "mx"
    r'|finding = "([a-z0-9-]+)" if .* else "([a-z0-9-]+)"'
    r'|data\["finding"\] = "([a-z0-9-]+)"'
)


def core_findings() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "tuimail" / "core" / "doctor").glob("*.py"):
        for match in _LITERAL.finditer(path.read_text("utf-8")):
            found.update(g for g in match.groups() if g)
    return found


def documented_findings() -> set[str]:
    text = (ROOT / "docs" / "json.md").read_text("utf-8")
    section = text.split("## `tuimail doctor --json`", 1)[1].split("\n## ", 1)[0]
    table = section.split("The findings (`finding`)", 1)[1]
    return {
        name
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([a-z0-9-]+)`", line.split("|")[1])
    }


def test_every_finding_core_makes_is_documented() -> None:
    made = core_findings()
    assert {"mx", "capabilities", "port-instead", "certificate-expiring", "quota"} <= made
    assert made - documented_findings() == set()


def test_the_observations_worded_at_the_edge_are_the_ones_core_makes() -> None:
    """No observation is left without words, and no words are kept for one core no
    longer makes."""
    worded = {*doctor_dns_words.SEEN, *doctor_server_words.SEEN}
    assert worded == set(doctor_words._OBSERVED)
    assert worded <= core_findings()
    fixes = {*doctor_dns_words.FIX, *doctor_server_words.FIX}
    assert fixes <= core_findings()
