"""Messages the domain defines and the doors translate: marked here so that pybabel extracts them."""

from __future__ import annotations


def N_(text: str) -> str:
    """Return the French text unchanged; the page, the CLI or the report that shows it looks up its translation."""
    return text
