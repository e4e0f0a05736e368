"""Typed options of the ``guichet-kb`` MkDocs plugin."""

from mkdocs.config import config_options as c
from mkdocs.config.base import Config


class KnowledgeBaseConfig(Config):
    """Options of the knowledge-base plugin; paths are relative to mkdocs.yml."""

    enabled = c.Type(bool, default=True)
    helpdesk_config = c.Type(str, default="helpdesk.yml")
    manifest_path = c.Type(str, default="build/manifest.json")
    index_dir = c.Type(str, default="build/index")
    build_index = c.Type(bool, default=True)
