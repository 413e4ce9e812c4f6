"""Org-change triage (guardrail 3): which changes need a CSM, which titles and company names are the
same once reworded, how senior a title is, what a piece of news is about, and the fingerprint that
keeps a dismissed change dismissed whichever source repeats it.

Pure functions of plain strings and facts: no Django, no clock.
"""

from __future__ import annotations

import hashlib
import re

from .config import GuardrailConfig
from .facts import OrgChangeFact

DEFAULT_GUARDRAILS = GuardrailConfig()

def needs_confirmation(change: OrgChangeFact | float, *, config: GuardrailConfig = DEFAULT_GUARDRAILS) -> bool:
    """A change below the confidence threshold waits for a CSM (state "pending") and never alerts."""
    confidence = change if isinstance(change, int | float) else change.confidence
    return confidence < config.low_confidence_threshold


# Abbreviations written out, so that rewordings of the same title compare equal.
TITLE_ABBREVIATIONS = {
    "ceo": "chief executive officer",
    "cfo": "chief financial officer",
    "coo": "chief operating officer",
    "cto": "chief technology officer",
    "cio": "chief information officer",
    "ciso": "chief information security officer",
    "cmo": "chief marketing officer",
    "cro": "chief revenue officer",
    "cpo": "chief product officer",
    "cco": "chief customer officer",
    "chro": "chief human resources officer",
    "cdo": "chief data officer",
    "vp": "vice president",
    "svp": "senior vice president",
    "evp": "executive vice president",
    "avp": "assistant vice president",
    "gm": "general manager",
    "md": "managing director",
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "exec": "executive",
    "dir": "director",
    "mgr": "manager",
    "asst": "assistant",
    "assoc": "associate",
    "pres": "president",
    "ops": "operations",
    "eng": "engineering",
    "mktg": "marketing",
    "intl": "international",
    "hr": "human resources",
    "it": "information technology",
}
# Words that only glue a title together ("VP of Sales & Marketing").
TITLE_FILLER = frozenset({"and", "of", "the", "for"})

# Legal-form suffixes of company names ("Acme, Inc.", "ACME Corporation").
COMPANY_SUFFIXES = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "llc", "llp", "lp",
    "ltd", "limited", "plc", "gmbh", "ag", "sa", "sas", "sarl", "srl", "spa", "bv", "nv",
    "pty", "pte", "kk", "oy", "ab", "as",
})


def _tokens(text: str) -> list[str]:
    """Lower-case words; "&" reads "and"; dots vanish ("S.A." -> "sa"); other punctuation splits."""
    text = (text or "").casefold().replace("&", " and ").replace(".", "")
    return re.findall(r"[^\W_]+", text)


def normalize_title(title: str) -> str:
    """``"Sr. VP, Sales & Marketing"`` -> ``"senior vice president sales marketing"``."""
    words: list[str] = []
    for token in _tokens(title):
        words.extend(TITLE_ABBREVIATIONS.get(token, token).split())
    return " ".join(w for w in words if w not in TITLE_FILLER)


def normalize_company(name: str) -> str:
    """``"The ACME Corporation"`` -> ``"acme"``: case, punctuation and legal suffixes dropped."""
    words = _tokens(name)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    # Drop trailing legal forms ("Acme Holdings Co., Ltd."), but never the whole name.
    while len(words) > 1 and (words[-1] in COMPANY_SUFFIXES or words[-1] == "and"):
        words = words[:-1]
    return " ".join(words)


def is_trivial_title_change(old: str, new: str) -> bool:
    """True when ``new`` only rewords ``old`` ("VP Sales" -> "Vice President, Sales").

    Word order matters ("Sales VP" vs "VP Sales" is *not* trivial): a wrongly dismissed
    change hides a real promotion, while a needless review costs a CSM one click.
    """
    return normalize_title(old) == normalize_title(new)


def is_trivial_company_rename(old: str, new: str) -> bool:
    """True when only case, punctuation or the legal form changed ("Acme" -> "Acme Inc.")."""
    return normalize_company(old) == normalize_company(new)


# Kinds whose old/new values are company names; every other kind carries titles.
COMPANY_VALUE_KINDS = frozenset({"acquisition", "company_rename"})


def change_fingerprint(kind: str, contact_id, old: str, new: str) -> str:
    """Stable key of a change with both sides normalised (so a dismissed trivial change stays dismissed).

    ``"role_change", 7, "VP Sales", "Vice President, Sales"`` and the same change reported as
    ``"vp sales" -> "VP of Sales"`` share one fingerprint.  Direction matters (old -> new).
    """
    normalize = normalize_company if kind in COMPANY_VALUE_KINDS else normalize_title
    contact = "" if contact_id is None else str(contact_id)
    key = "\x1f".join((kind, contact, normalize(old), normalize(new)))
    return hashlib.sha256(key.encode()).hexdigest()[:32]



# --- titles ------------------------------------------------------------------------------------

def title_rank(title: str) -> int:
    """A rough seniority of a title: C-level/president 6, EVP/SVP 5, VP 4, head/director 3, manager 2, else 1."""
    words = normalize_title(title).split()
    text = " ".join(words)
    if "chief" in words or (re.search(r"(^| )president( |$)", text) and "vice president" not in text):
        return 6
    if "vice president" in text:
        return 5 if ({"executive", "senior"} & set(words)) else 4
    if {"head", "director"} & set(words):
        return 3
    if "manager" in words:
        return 2
    return 1


def title_change_kind(old: str, new: str) -> str | None:
    """``None`` when nothing changed, ``"trivial"`` for a rewording, else ``promotion``/``role_change``."""
    if (old or "").strip() == (new or "").strip():
        return None
    if is_trivial_title_change(old or "", new or ""):
        return "trivial"
    return "promotion" if title_rank(new) > title_rank(old) else "role_change"



# Org-change kinds that give their contact a new title once confirmed.
TITLE_CHANGE_KINDS = frozenset({"promotion", "role_change"})
# "named X", "promoted to X", "appointed (as) X", "becomes X", "joins as X", "now X" — the title is X.
_TITLE_IN_HEADLINE = re.compile(
    r"\b(?:named|appointed(?:\s+as)?|promoted\s+to|elevated\s+to|becomes|became|joins\s+as|now)\s+"
    r"(?:the\s+|new\s+|an?\s+)?(?P<title>[^.;,()]+?)\s*(?:\bat\b[^.;,()]*)?\s*(?:[.;,(]|$)",
    re.IGNORECASE)


def title_from_headline(headline: str, name: str = "") -> str:
    """The title a headline gives a person: ``"Nadia Dubois named Executive Vice President"`` →
    ``"Executive Vice President"``; ``""`` when the headline names none."""
    text = (headline or "").strip()
    if name and text.casefold().startswith(name.casefold()):
        text = text[len(name):]
    match = _TITLE_IN_HEADLINE.search(text)
    return match.group("title").strip()[:255] if match else ""


# --- news ---------------------------------------------------------------------------------------

DEPARTURE_WORDS = re.compile(r"\b(joins|joined|departs|departed|departing|leaves|leaving|left|steps? down|"
                             r"stepping down|stepped down|resigns|resigned|retires|retired)\b", re.I)
PROMOTION_WORDS = re.compile(r"\b(promoted|promotion|named|appointed|elevated)\b", re.I)
ACQUISITION_WORDS = re.compile(r"\bacquir", re.I)
LAYOFF_WORDS = re.compile(r"\b(layoffs?|lays off|laid off|job cuts)\b", re.I)
REORG_WORDS = re.compile(r"\b(reorgani[sz]ation|reorgani[sz]es|restructur\w*)\b", re.I)
ACCOUNT_WIDE = (("acquisition", ACQUISITION_WORDS), ("layoffs", LAYOFF_WORDS), ("reorg", REORG_WORDS))
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


def classify_news(text: str, *, about_person: bool) -> str | None:
    """The org-change kind a piece of news suggests (``None``: nothing we track)."""
    if about_person:
        if DEPARTURE_WORDS.search(text):
            return "departure"
        if PROMOTION_WORDS.search(text):
            return "promotion"
    for kind, words in ACCOUNT_WIDE:
        if words.search(text):
            return kind
    return None


def mentions(name: str, text: str) -> bool:
    return bool(name.strip()) and re.search(r"(?<!\w)" + re.escape(name.strip()) + r"(?!\w)", text, re.I) is not None
