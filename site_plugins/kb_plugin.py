"""The ``guichet-kb`` plugin: validate articles, keep internal ones out, write the manifest."""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.nav import Section

from search import (
    HISTORY_FILE, Article, ArticleError, ConfigError, SearchError, build_index, check_kb, load_helpdesk_config,
    read_history, save_index,
)
from search.articles import article_from_file, is_page

from .config import KnowledgeBaseConfig
from .manifest import build_manifest, kb_revision, write_json_atomically

log = logging.getLogger("mkdocs.plugins.guichet-kb")


class KnowledgeBasePlugin(BasePlugin[KnowledgeBaseConfig]):
    """Validate the KB, publish only employee articles, and emit the id → URL manifest."""

    def on_config(self, config):
        """Load the KB settings of helpdesk.yml; give the templates the organisation's time zone."""
        if not self.config.enabled:
            return config
        self.base_dir = Path(config.config_file_path).parent
        self.docs_dir = Path(config.docs_dir)
        try:
            helpdesk = load_helpdesk_config(self.base_dir / self.config.helpdesk_config)
        except (ConfigError, OSError) as exc:
            raise PluginError(f"guichet-kb: {exc}") from None
        self.kb_config = helpdesk.kb
        # The banner dates incidents in this zone, whatever the visitor's own (main.html, guichet-pages.js).
        config.extra["guichet_timezone"] = helpdesk.organisation.timezone
        self.articles: list[Article] = []
        self.urls: dict[str, str] = {}
        return config

    @event_priority(100)  # before search, tags and sitemap see the files
    def on_files(self, files, *, config):
        """Log every KB problem as a warning and drop technician-only articles from the build."""
        if not self.config.enabled:
            return files
        problems = check_kb(self.docs_dir, self.kb_config)
        for problem in problems:
            # Staleness must not take the site down; it is reported, not fatal.
            level = logging.WARNING if problem.is_error else logging.INFO
            log.log(level, "%s", problem)
        self.kb_is_valid = not any(problem.is_error for problem in problems)
        self.articles = []
        for file in list(files.documentation_pages()):
            relative = Path(file.src_uri)
            if is_page(relative):
                continue
            try:
                article = article_from_file(Path(file.abs_src_path), self.docs_dir)
            except ArticleError:
                files.remove(file)  # unreadable: the audience is unknown, so it is not published
                continue
            self.articles.append(article)
            if not article.is_public:
                files.remove(file)
        return files

    def on_nav(self, nav, *, config, files):
        """Title each category section with its label from helpdesk.yml."""
        if self.config.enabled:
            for item in nav.items:
                if isinstance(item, Section):
                    folder = _section_folder(item)
                    if folder in self.kb_config.categories:
                        item.title = self.kb_config.categories[folder]
        return nav

    def on_page_context(self, context, *, page, config, nav):
        """Remember each published article's URL for the manifest."""
        if self.config.enabled:
            self.urls[page.file.src_uri] = page.url
        return context

    def on_post_build(self, *, config):
        """Write the manifest beside the site."""
        if not self.config.enabled:
            return
        manifest = build_manifest(self.articles, self.urls, kb_revision(self.docs_dir))
        path = self.base_dir / self.config.manifest_path
        write_json_atomically(manifest, path)
        log.info("guichet-kb: manifest of %d articles written to %s", len(self.articles), path)
        if self.config.build_index:
            self._write_index()

    def _write_index(self):
        """Build the suggestion index artifact beside the site (only from a valid KB)."""
        if not self.kb_is_valid:
            log.warning("guichet-kb: the suggestion index was not rebuilt because the KB has errors")
            return
        directory = self.base_dir / self.config.index_dir
        history = kept_history(directory / HISTORY_FILE)
        save_index(build_index(self.articles, history=history), directory)
        log.info("guichet-kb: suggestion index of %d articles written to %s (%d past requests kept)",
                 len(self.articles), directory, len(history))


def kept_history(path: Path) -> list:
    """Return the reviewed past requests of the previous artifact: a rebuild must not forget what was learnt."""
    if not path.is_file():
        return []
    try:
        return read_history(path)
    except SearchError as exc:  # not a KB problem (no --strict failure): the service rewrites it from its database
        log.info("guichet-kb: %s; past requests not kept in the new index", exc)
        return []


def _section_folder(section: Section) -> str | None:
    """Return the top folder of the first page inside ``section``."""
    for child in section.children:
        if isinstance(child, Section):
            found = _section_folder(child)
            if found:
                return found
        elif getattr(child, "file", None) is not None:
            return child.file.src_uri.split("/")[0]
    return None
