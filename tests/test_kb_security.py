"""KB build security: no script in article content (K-01), no exposed dev server, version floors (K-05)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib.metadata import version
from pathlib import Path

import pytest

from guichet_testing import ROOT


class ArticleContentScanner(HTMLParser):
    """Collect scripts, on* handlers and javascript: URLs found inside the article body."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # > 0 while inside <article>
        self.findings: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        if not self.depth:
            return
        if tag in {"script", "iframe", "object", "embed"}:
            self.findings.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"{tag} {name}=")
            if value and re.match(r"\s*javascript:", value, re.I):
                self.findings.append(f"{tag} {name}=javascript:")

    def handle_endtag(self, tag):
        if tag == "article" and self.depth:
            self.depth -= 1


@pytest.mark.slow
def test_built_articles_contain_no_script_handlers_or_javascript_urls(built_kb_site):
    pages = list((built_kb_site / "build" / "site").rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        scanner = ArticleContentScanner()
        scanner.feed(page.read_text(encoding="utf-8"))
        assert not scanner.findings, f"{page}: {scanner.findings}"


def test_scanner_finds_what_it_looks_for():
    scanner = ArticleContentScanner()
    scanner.feed('<article><img src=x onerror="a()"><a href=" javascript:x">y</a><script></script></article><script></script>')
    assert scanner.findings == ["img onerror=", "a href=javascript:", "<script>"]


def test_no_script_exposes_the_mkdocs_dev_server():
    candidates = [ROOT / "Makefile", ROOT / ".ci" / "run", *ROOT.joinpath("scripts").glob("*"),
                  *ROOT.joinpath(".github").rglob("*.yml")]
    for path in candidates:
        text = Path(path).read_text(encoding="utf-8")
        assert not re.search(r"mkdocs\s+serve[^\n]*(0\.0\.0\.0|--dev-addr[= ](?!127\.0\.0\.1|localhost))", text), path


@pytest.mark.parametrize("package, floor", [("mkdocs", (1, 6)), ("werkzeug", (3, 0, 6)), ("pyyaml", (6, 0))])
def test_dependency_version_floors(package, floor):
    installed = tuple(int(part) for part in re.findall(r"\d+", version(package))[: len(floor)])
    assert installed >= floor, f"{package} {version(package)} is older than {floor}"
