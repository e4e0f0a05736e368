"""The matching passage of an article, as plain text with the matched words' offsets."""

from __future__ import annotations

import re

from .analysis import analyze, fold

MAX_CHARS = 240
_SENTENCE = re.compile(r"[^\n.!?]+[.!?]?")
_WORD = re.compile(r"[\w'’.-]+")
_LEADING_ELISION = re.compile(r"^(?:[ldjnsmtc]|qu|jusqu|lorsqu|puisqu)['’]", re.I)


def passages(symptoms: list[str], text: str) -> list[str]:
    """Return candidate passages: each symptom, then the body's sentences and lines."""
    found = [s.strip() for s in symptoms if s.strip()]
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0).strip()
        if len(sentence) > 15:
            found.append(sentence)
    return found


def marks(passage: str, terms: set[str], lang: str) -> list[tuple[int, int]]:
    """Return ``[start, end)`` offsets of the words of ``passage`` whose terms are in ``terms``."""
    spans = []
    for match in _WORD.finditer(passage):
        word = _LEADING_ELISION.sub("", match.group(0)).strip(".-'’")
        if word and any(t in terms for t in analyze(word, lang)):
            start = match.start() + match.group(0).index(word)
            spans.append((start, start + len(word)))
    return spans


def shorten(passage: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Cut a long passage around its first highlight, shifting the offsets."""
    if len(passage) <= MAX_CHARS:
        return passage, spans
    start = max(0, (spans[0][0] if spans else 0) - 60)
    start = passage.rfind(" ", 0, start) + 1 if start else 0
    end = passage.rfind(" ", start, start + MAX_CHARS)
    end = end if end > start else start + MAX_CHARS
    prefix = "…" if start else ""
    text = prefix + passage[start:end] + "…"
    shift = len(prefix) - start
    return text, [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]


def snippet(symptoms: list[str], text: str, terms: set[str], lang: str) -> tuple[str, list[tuple[int, int]]]:
    """Return the passage matching most distinct query terms, and its highlight offsets.

    Args:
        symptoms: the article's symptoms (preferred on ties: they are employees' words).
        text: the article's plain body.
        terms: the analysed query terms.
        lang: the analysis language.

    Returns:
        ``(passage, highlights)``: plain text (never HTML) and ``[start, end)`` offsets.
    """
    best, best_key = "", (-1, 0)
    # Stemming only changes word endings: a passage none of whose folded words starts like a
    # query term cannot match, so it is not analysed (snippets of long articles stay cheap).
    prefixes = {t[:3] for t in terms}
    for position, passage in enumerate(passages(symptoms, text)[:400]):
        folded = fold(passage)
        found = set(analyze(passage, lang)) & terms if any(p in folded for p in prefixes) else set()
        key = (len(found), -position)
        if key > best_key:
            best, best_key = passage, key
    if not best:
        return "", []
    return shorten(best, marks(best, terms, lang))
