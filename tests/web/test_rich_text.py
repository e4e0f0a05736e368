"""Ticket text as light Markdown: readable steps and code, raw HTML shown as typed, links and markup sanitised."""

from __future__ import annotations

import pytest
from web_fixtures import new_ticket

from ticket_service.http.web.rich_text import render


def test_steps_code_and_emphasis_render():
    html = str(render("Étapes :\n1. ouvrir **Outlook**\n2. cliquer sur `Fichier > Options`\n\n```\nnet use P: \\\\srv\\partage\n```"))
    assert "<ol>" in html and html.count("<li>") == 2 and "<strong>Outlook</strong>" in html
    assert "<code>Fichier &gt; Options</code>" in html and "<pre><code>net use P: \\\\srv\\partage" in html


def test_raw_html_is_shown_as_typed():
    html = str(render('Erreur <DOMAINE>\\jdupont <script>alert("x")</script><img src=x onerror=alert(1)>'))
    assert "&lt;DOMAINE&gt;\\jdupont" in html and "&lt;script&gt;" in html and "&lt;img src=x" in html
    assert "<script" not in html and "<img" not in html


@pytest.mark.parametrize("link", ["javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x",
                                  "JaVaScRiPt:alert(1)", " javascript:alert(1)"])
def test_dangerous_links_lose_their_target(link):
    html = str(render(f"[cliquez]({link})"))
    assert "href" not in html and "cliquez" in html


def test_web_links_open_safely_and_images_are_dropped():
    html = str(render("[intranet](https://intranet.example/a?b=1&c=2) ![pixel](https://evil.test/p.png)"))
    assert 'href="https://intranet.example/a?b=1&amp;c=2"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "<img" not in html and "evil.test" not in html


def test_empty_text_renders_nothing():
    assert str(render("")) == "" and str(render(None)) == ""


def test_ticket_pages_render_markdown_and_escape_html(app, browser):  # noqa: F811
    body = "Étapes :\n1. redémarrer\n2. lancer `gpupdate /force`\n\n<b>gras</b> [x](javascript:alert(1))"
    ticket = new_ticket(app, "employee_a", title="Mise à jour", description=body)
    browser("employee_a").submit(f"/mes-demandes/{ticket}/repondre", {"body": "- essai 1\n- essai 2"})
    for client, path in ((browser("n1"), f"/desk/tickets/{ticket}"), (browser("employee_a"), f"/mes-demandes/{ticket}")):
        text = client.get(path).text
        assert "<li>redémarrer</li>" in text and "<code>gpupdate /force</code>" in text, path
        assert "<li>essai 1</li>" in text, path
        assert "&lt;b&gt;gras&lt;/b&gt;" in text and "javascript:" not in text, path
