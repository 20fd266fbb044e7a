"""Every source of the real-mail corpus has its licence text in tests/data/corpus/LICENSES/,
linked from SOURCES.md, and every message comes from a listed source."""

from __future__ import annotations

import re

from tests.corpus import CORPUS_DIR, CORPUS_FILES


def _sections() -> dict[str, str]:
    text = (CORPUS_DIR / "SOURCES.md").read_text(encoding="utf-8")
    parts = re.split(r"^### ", text, flags=re.M)[1:]
    return {part.split(":", 1)[0]: part for part in parts}


def test_every_source_links_licence_texts_that_exist() -> None:
    sections = _sections()
    assert len(sections) >= 17
    linked: set[str] = set()
    for name, body in sections.items():
        licence = next(line for line in body.splitlines() if line.startswith("- licence:"))
        files = re.findall(r"\]\(LICENSES/([^)]+)\)", licence)
        assert files, f"{name}: no licence text linked"
        for file in files:
            text = (CORPUS_DIR / "LICENSES" / file).read_text(encoding="utf-8")
            assert len(text) > 300, file
        linked.update(files)
    assert linked == {p.name for p in (CORPUS_DIR / "LICENSES").iterdir()}


def test_every_message_belongs_to_a_listed_source() -> None:
    sections = _sections()
    for path in CORPUS_FILES:
        source = path.name.split("-", 1)[0]
        assert source in sections, path.name
        assert f"| {path.name} |" in sections[source], path.name
