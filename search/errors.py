"""Exceptions and problem records of the search package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class SearchError(Exception):
    """Base class of every error raised by ``search``."""


class ArticleError(SearchError):
    """An article file cannot be read at all."""

    def __init__(self, path: Path | str, message: str, line: int = 1):
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{line}: {message}")


class ConfigError(SearchError):
    """The helpdesk configuration the KB check depends on is unusable."""


class IndexNotReady(SearchError):
    """No index has been built or loaded yet."""


@dataclass(frozen=True, order=True)
class Problem:
    """One finding of the KB check, printable as ``path:line: message``."""

    path: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"

    @property
    def is_error(self) -> bool:
        """Return True when this problem must fail the check."""
        return self.severity == "error"

    def __str__(self) -> str:
        label = "" if self.is_error else "warning: "
        return f"{self.path}:{self.line}: {label}{self.message}"
