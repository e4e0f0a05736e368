"""The site's chrome as real strict builds render it: header links, French footer, our search box, the banner's zone."""

from __future__ import annotations

import re

import pytest

from guichet_testing import copy_fixture_project, mkdocs_build

pytestmark = pytest.mark.slow


def test_every_page_links_to_my_requests_has_a_french_footer_and_our_search_box(built_kb_site):
    site = built_kb_site / "build" / "site"
    for page in (site / "index.html", site / "impression" / "imprimante-hors-connexion" / "index.html",
                 site / "404.html"):
        html = page.read_text(encoding="utf-8")
        assert 'href="/mes-demandes"' in html and ">Mes demandes<" in html.replace("\n", "").replace("  ", "")
        assert "Made with" not in html and "Material for MkDocs" not in html
        assert "Ferrand & Associés — le guichet unique de l'informatique" in html  # mkdocs.yml's copyright
        # Material's search would mount on data-md-component="search" and race ours for the same box
        assert 'data-md-component="search' not in html
        assert re.search(r'<input[^>]*id="gh-search-input"[^>]*role="combobox"', html.replace("\n", " "))
        assert "guichet-search.js" in html
    assert (site / "search" / "search_index.json").is_file()  # lunr's index stays: the offline fallback reads it


def test_the_banner_dates_incidents_in_the_organisation_time_zone(tmp_path):
    project = copy_fixture_project("kb_good", tmp_path)
    config = project / "helpdesk.yml"
    config.write_text("organisation:\n  name: Fixture\n  timezone: America/Montreal\n"
                      + config.read_text(encoding="utf-8"), encoding="utf-8")
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stderr
    html = (project / "build" / "site" / "index.html").read_text(encoding="utf-8")
    assert 'data-gh-timezone="America/Montreal"' in html
