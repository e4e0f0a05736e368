"""French and English text analysis: folding, elisions, codes, stop words, stemming, language."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .lemmas import base_form, written_out

LANGUAGES = ("fr", "en")

# Error codes and versions kept whole: 0x8004010F, 5.1.90, -7200, 80070005, KB5034441.
_TOKEN = re.compile(
    r"0x[0-9a-f]{4,}"  # hexadecimal error codes
    r"|(?<![\w.])-\d{3,}"  # negative codes such as -7200
    r"|\d+(?:\.\d+)+"  # dotted codes and versions such as 5.1.90
    r"|[a-z0-9]+"
)
_ELISION = re.compile(r"\b(?:l|d|j|n|s|c|m|t|qu|jusqu|lorsqu|puisqu|quoiqu)'(?=[a-z])")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})

FRENCH_STOP = frozenset(
    """a ai aie aient aies ait alors as au aucun aura aurai auraient aurais aurait auras aurez
    auriez aurons auront aussi autre aux avaient avais avait avant avec avez aviez avions avoir
    avons ayant bien bon c ca car ce ceci cela celle celles celui ces cet cette ceux chaque ci comme
    comment d dans de des deja depuis dois doit donc du elle elles en encore es est et etaient
    etais etait etant ete etes etre eu eux faire fais fait faut hui il ils j je jusqu l la le les
    leur leurs lorsqu lui m ma mais me meme mes moi mon n ne ni nos notre nous on ont ou par pas
    peu peut peux plus pour pourquoi puis qu quand que quel quelle quelles quels qui quoi s sa
    sans se sera serait ses si sien soit sont sous suis sur t ta te tes toi ton toujours tous
    tout toute toutes tres tu un une vos votre vous vraiment y""".split()
)
ENGLISH_STOP = frozenset(
    """a about above after again all am an and any are as at be because been before being below
    between both but by can cannot could did do does doing don dont down during each few for from
    further had has have having he her here hers herself him himself his how i if im in into is it
    its itself ive just me more most my myself no nor not of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself s t d ll m re ve
    cant couldnt didnt doesnt hasnt havent isnt arent wasnt werent wont wouldnt shouldnt youre
    theyre thats theres whats""".split()  # contractions typed without the apostrophe
)
# « son » (his/her) is left out of FRENCH_STOP on purpose: in a helpdesk it is mostly « le son », the sound
# (« pas de son », « le son grésille »), the key word of a whole family of requests.
# Helpdesk words that say something is broken, not what: « le vpn ne marche pas », « outlook bug ». Articles
# write « ne fonctionne pas », so « marche » is rare there, and a rare word the top article lacks made the
# confidence drop (« le vpn ne marche pas » was abstained on while « le vpn ne se connecte pas » was answered).
FRENCH_HELPDESK_STOP = frozenset("marche marchent marcher bug bugs bugue buggue beugue".split())
# Greetings and politeness carry no topic either (« bonjour, outlook plante, merci d'avance »).
FRENCH_POLITE_STOP = frozenset("bonjour bonsoir merci svp stp slt cdt cordialement".split())
STOP_WORDS = {"fr": FRENCH_STOP | FRENCH_HELPDESK_STOP | FRENCH_POLITE_STOP, "en": ENGLISH_STOP}
_STEMMER_NAMES = {"fr": "french", "en": "english"}
_CODE = re.compile(r"0x[0-9a-f]+|-?\d[\d.]*")


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")


def fold(text: str) -> str:
    """Return ``text`` lower-cased, without accents, with straight apostrophes."""
    if text.isascii():
        return text.translate(_APOSTROPHES).lower()
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    return _COMBINING.sub("", text).lower()


def raw_tokens(folded: str) -> list[str]:
    """Split already folded text into words and whole error codes, French elisions removed."""
    return _TOKEN.findall(_ELISION.sub(" ", folded))


@lru_cache(maxsize=4)
def _stemmer(lang: str):
    import Stemmer  # PyStemmer: Snowball stemmers in C

    return Stemmer.Stemmer(_STEMMER_NAMES[lang], 100_000)


def is_code(token: str) -> bool:
    """Return True for error codes and versions, which are never stemmed."""
    return bool(_CODE.fullmatch(token))


def analyze(text: str, lang: str = "fr") -> list[str]:
    """Return the index terms of ``text`` (see ``_analyze``); short texts (queries, single words
    of snippets) are cached."""
    if len(text) <= 200:
        return list(_analyze_cached(text, lang))
    return _analyze(text, lang)


@lru_cache(maxsize=50_000)
def _analyze_cached(text: str, lang: str) -> tuple[str, ...]:
    return tuple(_analyze(text, lang))


def _analyze(text: str, lang: str = "fr") -> list[str]:
    """Return the index terms of ``text``: folded, elisions and stop words removed, irregular French
    forms replaced by their infinitive, stemmed.

    Args:
        text: any text (title, body, query).
        lang: ``"fr"`` or ``"en"``; chooses stop words and the Snowball stemmer.

    Returns:
        The terms in text order; codes (``0x8004010f``, ``5.1.90``, ``-7200``) are kept whole,
        and a hexadecimal code also yields its digits without ``0x``.
    """
    stop = STOP_WORDS[lang]
    words, codes = [], []
    tokens = (word for token in raw_tokens(fold(text)) for word in written_out(token, lang))
    for token in tokens:
        if token in stop or (len(token) < 2 and not token.isdigit()):
            continue
        if is_code(token):
            codes.append(len(words))
            words.append(token)
        else:
            words.append(base_form(token, lang))
    stems = _stemmer(lang).stemWords(words)
    for position in codes:
        stems[position] = words[position]
    out = []
    for term in stems:
        out.append(term)
        if term.startswith("0x"):
            out.append(term[2:])
    return out


def detect_language(text: str, default: str = "fr") -> str:
    """Guess whether ``text`` is French or English from stop words and accents.

    Args:
        text: a query or an article.
        default: returned when the evidence is even.

    Returns:
        ``"fr"`` or ``"en"``.
    """
    tokens = raw_tokens(fold(text[:5000]))
    fr = sum(t in FRENCH_STOP for t in tokens) + 2 * len(re.findall(r"[éèêàùçâîô]", text[:5000]))
    en = sum(t in ENGLISH_STOP for t in tokens)
    if fr == en:
        return default
    return "fr" if fr > en else "en"


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_GLUED_ELISION = re.compile(r"^(?:qu|[ldjnsmtc])(?=[aeiouyh])")


def edits1(word: str) -> set[str]:
    """Return the strings one deletion, transposition, substitution or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return set(
        [a + b[1:] for a, b in splits if b]
        + [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
        + [a + c + b[1:] for a, b in splits if b for c in _LETTERS]
        + [a + c + b for a, b in splits for c in _LETTERS]
    )


MIN_CORRECTED, MAX_CORRECTED = 6, 30


def correct_term(term: str, known, rank, languages=("fr",)) -> str:
    """Return the known index term an unknown query term most likely stands for, or ``term``.

    Only alphabetic terms of 6 to 30 letters are touched (short words have too many neighbours; longer
    ones are pasted blobs, whose edits would cost seconds): first a French elision typed without its
    apostrophe (``denvoi`` -> ``envoi``), then the known term one edit away (Damerau-Levenshtein 1) with
    the lowest ``rank`` (idf, so the most frequent one).
    """
    if term in known or not term.isalpha() or not MIN_CORRECTED <= len(term) <= MAX_CORRECTED:
        return term
    if "fr" in languages:
        glued = _GLUED_ELISION.sub("", term)
        if glued != term and glued in known:
            return glued
    candidates = [c for c in edits1(term) if c in known]
    return min(candidates, key=lambda c: (rank(c), c)) if candidates else term
