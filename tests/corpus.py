"""Where the real-mail corpus lives: inside the repository (tests/data/corpus/), so a fresh
clone has everything its tests read. SOURCES.md there names each message's origin and licence."""

from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "data" / "corpus"
CORPUS_FILES = sorted(CORPUS_DIR.glob("*.eml"))
