"""Domain helpers: organisational domain, punycode, look-alike skeletons. Pure functions."""

from __future__ import annotations

import functools
import unicodedata

# Letters that look alike: each maps to the Latin letter a reader takes it for.
_CONFUSABLE = {
    "0": "o",
    "1": "l",
    "i": "l",
    "|": "l",
    "5": "s",
    "$": "s",
    "@": "a",
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "і": "l",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ɡ": "g",
    "ӏ": "l",
    # Greek
    "α": "a",
    "ο": "o",
    "ρ": "p",
    "ν": "v",
    "τ": "t",
    "κ": "k",
    "ι": "l",
    "ε": "e",
}
_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"))

# Senders people are commonly tricked with (the display name or a look-alike domain).
BRANDS = {
    "paypal": "paypal.com",
    "apple": "apple.com",
    "icloud": "icloud.com",
    "microsoft": "microsoft.com",
    "outlook": "outlook.com",
    "office365": "office365.com",
    "google": "google.com",
    "gmail": "gmail.com",
    "amazon": "amazon.com",
    "netflix": "netflix.com",
    "facebook": "facebook.com",
    "instagram": "instagram.com",
    "linkedin": "linkedin.com",
    "dhl": "dhl.com",
    "fedex": "fedex.com",
    "ups": "ups.com",
    "docusign": "docusign.com",
    "dropbox": "dropbox.com",
    "github": "github.com",
    "ebay": "ebay.com",
    "mastercard": "mastercard.com",
    "wellsfargo": "wellsfargo.com",
}


@functools.lru_cache(maxsize=1)
def _psl():
    try:
        from publicsuffixlist import PublicSuffixList
    except ImportError:  # optional: the last two labels are a fair guess
        return None
    return PublicSuffixList()


def org_domain(domain: str) -> str:
    """The registrable domain: mail.google.com -> google.com, a.b.co.uk -> b.co.uk."""
    domain = domain.strip().strip(".").lower()
    if not domain or "." not in domain or domain.replace(".", "").isdigit() or ":" in domain:
        return domain  # a single label or an IP address: nothing to shorten
    psl = _psl()
    if psl is not None:
        try:
            found = psl.privatesuffix(domain)
        except Exception:
            found = None
        if found:
            return found
    return ".".join(domain.rsplit(".", 2)[-2:])


def unicode_domain(domain: str) -> str:
    """xn--pypal-4ve.com -> pаypal.com; the input unchanged if it cannot be decoded."""
    labels = []
    for label in domain.split("."):
        if label.lower().startswith("xn--"):
            try:
                label = label.encode("ascii").decode("idna")
            except (UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)


def is_punycode(domain: str) -> bool:
    return any(label.lower().startswith("xn--") for label in domain.split("."))


def scripts(text: str) -> set[str]:
    """The alphabets letters in `text` come from (LATIN, CYRILLIC, GREEK, ...)."""
    found = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            found.add(name.split(" ")[0] if name else "UNKNOWN")
    return found


def skeleton(text: str) -> str:
    """What a reader sees: look-alike letters folded, so paypa1.com == pаypal.com."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(_CONFUSABLE.get(ch, ch) for ch in text)
    for seq, repl in _SEQUENCES:
        text = text.replace(seq, repl)
    return text.replace("-", "").replace("_", "")


def lookalike_of(domain: str, known: set[str]) -> str | None:
    """The known domain `domain` imitates (same skeleton, or the brand inside a different
    organisational domain), or None."""
    real = unicode_domain(domain).lower()
    org = org_domain(real)
    if not org:
        return None
    label = org.split(".")[0]
    shape = skeleton(label)
    for other in sorted(known):
        other_org = org_domain(unicode_domain(other))
        if not other_org or other_org == org:
            continue
        other_label = other_org.split(".")[0]
        if len(other_label) >= 3 and skeleton(other_label) == shape:
            return other_org
    return None
