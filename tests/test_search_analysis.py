"""Text analysis: folding, elisions, stop words, stemming, codes, language detection."""

import pytest

from search.analysis import analyze, correct_term, detect_language, fold, raw_tokens


def test_fold_removes_case_and_accents():
    assert fold("Réseau ÉTÉ Ça") == "reseau ete ca"


@pytest.mark.parametrize("text", ["l'imprimante", "l’imprimante", "L'IMPRIMANTE"])
def test_french_elisions_are_removed(text):
    assert analyze(text, "fr") == analyze("imprimante", "fr")


def test_elisions_of_every_kind():
    assert raw_tokens(fold("d'accès qu'il j'ai n'imprime s'affiche c'est m'a t'es jusqu'à")) == [
        "acces", "il", "ai", "imprime", "affiche", "est", "a", "es", "a"]


def test_french_stop_words_and_stemming():
    assert analyze("les imprimantes ne sont pas bloquées", "fr") == analyze("imprimante bloquée", "fr")


def test_french_sound_is_a_term_not_a_stop_word():
    assert analyze("plus de son sur mon ordinateur", "fr") == ["son", "ordin"]
    assert "son" in analyze("le son grésille dans Teams", "fr")


@pytest.mark.parametrize(("employee", "article"), [
    ("le dossier a disparu", "un dossier disparaît"),
    ("Outlook est ouvert", "ouvrir Outlook"),
    ("je n'ai pas reçu la pièce jointe", "recevoir une pièce à joindre"),
    ("le PC s'éteint", "éteindre le PC"),
    ("limite atteinte", "atteindre la limite"),
])
def test_french_irregular_forms_meet_their_infinitive(employee, article):
    assert set(analyze(employee, "fr")) == set(analyze(article, "fr"))


def test_french_irregular_nouns_are_left_alone():
    # « vue » is a view and « sortie » an output in IT text, not forms of voir / sortir
    assert analyze("vue sortie audio", "fr") != analyze("voir sortir audio", "fr")


def test_french_helpdesk_words_for_broken_are_not_terms():
    assert analyze("le vpn ne marche pas", "fr") == analyze("vpn", "fr")
    assert analyze("outlook bugue", "fr") == analyze("outlook", "fr")


@pytest.mark.parametrize(("employee", "article", "lang"), [
    ("mdp oublié", "mot de passe oublié", "fr"),
    ("mon ordi rame", "mon ordinateur rame", "fr"),
    ("l'appli plante", "l'application plante", "fr"),
    ("la maj bloque", "la mise à jour bloque", "fr"),
    ("forgot my pwd", "forgot my password", "en"),
])
def test_abbreviations_are_written_out(employee, article, lang):
    assert analyze(employee, lang) == analyze(article, lang)


def test_abbreviations_of_one_language_stay_in_it():
    assert analyze("mdp", "en") == ["mdp"] and analyze("pwd", "fr") == ["pwd"]


def test_greetings_are_not_terms():
    assert analyze("Bonjour, outlook plante, merci d'avance svp", "fr") == analyze("outlook plante d'avance", "fr")


def test_english_stemming():
    assert analyze("printers are printing", "en") == analyze("printer print", "en")


@pytest.mark.parametrize("code", ["0x8004010f", "5.1.90", "-7200", "80070005"])
def test_error_codes_are_kept_whole(code):
    assert code in analyze(f"erreur {code.upper()} au démarrage", "fr")


def test_hex_code_also_matches_without_prefix():
    assert "8004010f" in analyze("0x8004010F", "en")


def test_dotted_version_is_not_split():
    terms = analyze("Outlook 5.1.90", "en")
    assert "5.1.90" in terms and "5" not in terms


@pytest.mark.parametrize(("text", "lang"), [
    ("mon imprimante ne marche plus depuis ce matin", "fr"),
    ("impossible d'envoyer des mails", "fr"),
    ("my printer does not work since this morning", "en"),
    ("outlook keeps asking for my password", "en"),
])
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_detect_language_default_on_no_evidence():
    assert detect_language("0x8004010F", default="en") == "en"


KNOWN = {"password": 2.0, "envoi": 1.5, "imprimant": 1.2, "passwort": 6.0}


def _rank(term):
    return KNOWN[term]


@pytest.mark.parametrize(("typed", "expected"), [
    ("pasword", "password"),  # one deletion
    ("passowrd", "password"),  # transposition
    ("denvoi", "envoi"),  # French elision typed without its apostrophe
    ("imprimnt", "imprimant"),  # one insertion (stems are compared)
])
def test_unknown_query_terms_are_corrected_to_the_vocabulary(typed, expected):
    assert correct_term(typed, KNOWN, _rank, ("fr", "en")) == expected


@pytest.mark.parametrize("typed", ["mutuelle", "stuff", "0x800f0922", "password"])
def test_known_short_unrelated_or_code_terms_are_left_alone(typed):
    assert correct_term(typed, KNOWN, _rank, ("fr", "en")) == typed


def test_correction_prefers_the_most_frequent_neighbour():
    idf = {"carton": 1.0, "canton": 4.0}  # "caxton" is one substitution from both
    assert correct_term("caxton", idf, idf.get, ("fr",)) == "carton"


def test_pasted_blobs_are_not_corrected():
    """A 5,000-letter token (a pasted base64 image in a ticket) made the edits cost 1.8 s per desk page."""
    known = {"a" * 30: 1.0, "a" * 31: 1.0}
    assert correct_term("a" * 29 + "b", known, known.get, ("fr",)) == "a" * 30  # 30 letters: still corrected
    assert correct_term("a" * 30 + "b", known, known.get, ("fr",)) == "a" * 30 + "b"
