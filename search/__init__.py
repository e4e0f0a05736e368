"""Guichet's domain core: articles, their schema and check, and similarity search.

Nothing here imports Flask or MkDocs (DESIGN §2).
"""

from .articles import Article, article_from_file, is_page, load_articles, markdown_files
from .check import check_kb
from .errors import ArticleError, ConfigError, IndexNotReady, Problem, SearchError
from .history import HISTORY_FILE, Resolution, read_history, write_history
from .kbconfig import (
    HelpdeskConfig, KBConfig, Organisation, find_config, load_helpdesk_config, load_kb_config, valid_timezone,
)
from .scaffold import scaffold_article, slug_from_title
from .schema import ARTICLE_TYPES, AUDIENCES, FIELDS, field_names
from .schema import ID_PATTERN as ARTICLE_ID_PATTERN

# The index needs numpy, scipy, scikit-learn and whoosh: import it on first use only, so that
# ``import search`` (the KB check, the site build) stays fast.
_LAZY = {
    "evaluate": "evaluate",
    "IndexHolder": "holder",
    "Suggestion": "index",
    "SuggestionIndex": "index",
    "SuggestResult": "index",
    "build_index": "index",
    "TextSimilarity": "similar",
    "TicketSimilarity": "similar",
    "StaleIndex": "store",
    "load_index": "store",
    "load_or_build": "store",
    "save_index": "store",
    "TriageGuess": "triage",
    "TriageModel": "triage",
    "TriageNotReady": "triage",
    "cross_validate": "triage",
    "held_out_accuracy": "triage",
    "load_triage": "triage",
    "save_triage": "triage",
    "ticket_text": "triage",
    "train_triage": "triage",
}


def __getattr__(name: str):
    """Import the search index's public names lazily."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "HISTORY_FILE",
    "ARTICLE_ID_PATTERN",
    "ARTICLE_TYPES",
    "AUDIENCES",
    "Article",
    "ArticleError",
    "ConfigError",
    "FIELDS",
    "HelpdeskConfig",
    "IndexHolder",
    "IndexNotReady",
    "KBConfig",
    "Organisation",
    "Problem",
    "Resolution",
    "SearchError",
    "StaleIndex",
    "SuggestResult",
    "Suggestion",
    "SuggestionIndex",
    "TextSimilarity",
    "TicketSimilarity",
    "TriageGuess",
    "TriageModel",
    "TriageNotReady",
    "article_from_file",
    "build_index",
    "check_kb",
    "cross_validate",
    "evaluate",
    "field_names",
    "held_out_accuracy",
    "find_config",
    "is_page",
    "load_articles",
    "load_helpdesk_config",
    "load_index",
    "load_kb_config",
    "load_or_build",
    "load_triage",
    "markdown_files",
    "read_history",
    "save_index",
    "save_triage",
    "scaffold_article",
    "slug_from_title",
    "ticket_text",
    "train_triage",
    "valid_timezone",
    "write_history",
]
