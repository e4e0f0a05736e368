"""Guichet's domain core: articles, their schema and check, and similarity search.

Nothing here imports Flask or MkDocs (DESIGN §2).
"""

from .articles import Article, load_articles
from .check import check_kb
from .errors import ArticleError, ConfigError, IndexNotReady, Problem, SearchError
from .kbconfig import KBConfig, find_config, load_kb_config
from .scaffold import scaffold_article, slug_from_title
from .schema import ARTICLE_TYPES, AUDIENCES, FIELDS, field_names

__all__ = [
    "ARTICLE_TYPES",
    "AUDIENCES",
    "Article",
    "ArticleError",
    "ConfigError",
    "FIELDS",
    "IndexNotReady",
    "KBConfig",
    "Problem",
    "SearchError",
    "check_kb",
    "field_names",
    "find_config",
    "load_articles",
    "load_kb_config",
    "scaffold_article",
    "slug_from_title",
]
