"""French irregular verb forms that Snowball stemming cannot join to their infinitive (ouvert / ouvrir)."""

from __future__ import annotations

# Why: employees write what happened (« le dossier a disparu », « la pièce jointe reçue »), articles name the
# action (« un dossier disparaît », « joindre un fichier », « recevoir »). Snowball only strips regular endings,
# so these pairs never meet. The table maps a folded form to its infinitive, which the stemmer then reduces like
# the article's form. A standard grammar list, not tuned on any query set. English has the same gap (lost / lose,
# froze / freeze) but a table did not carry beyond the dev queries there (search/README.md), so none is applied.

# French: past participles and present forms whose Snowball stem differs from the infinitive's
# (« ouvert » vs « ouvrir », « reçu » vs « recevoir », « disparu » vs « disparaître »).
_FRENCH_VERBS = """
ouvrir ouvert ouverte ouverts ouvertes | rouvrir rouvert rouverte | couvrir couvert couverte |
decouvrir decouvert decouverte | offrir offert offerte | souffrir souffert |
recevoir recu recue recus recues recois recoit recoivent | apercevoir apercu apercue apercoit |
percevoir percu percue | decevoir decu decue |
eteindre eteint eteinte eteints eteintes eteins eteignent | atteindre atteint atteinte atteints atteintes |
peindre peint peinte | craindre craint crains | joindre joint jointe joints jointes joins joignent |
rejoindre rejoint rejointe rejoins rejoignent | contraindre contraint contrainte |
disparaitre disparu disparue disparus disparues disparait disparais disparaissent |
apparaitre apparu apparue apparus apparues apparait apparais apparaissent |
reapparaitre reapparu reapparait | connaitre connu connue connus connues connait connais connaissent |
reconnaitre reconnu reconnue reconnait reconnais reconnaissent |
prendre pris prend prends prennent | reprendre repris reprise reprend reprennent |
comprendre compris comprise comprend comprends comprennent | apprendre appris apprend apprennent |
mettre mets met mettent | remettre remis remet remettent | permettre permis permet permettent |
transmettre transmis transmise transmet transmettent | soumettre soumis soumise soumet |
promettre promis promet |
resoudre resolu resolue resolus resolues resout resous | dissoudre dissous |
voir vu vus vois voit voient | revoir revu revoit | prevoir prevu prevue prevoit |
savoir su sais sait savent | vouloir voulu veux veut veulent |
venir venu venue venus viens vient viennent | revenir revient reviennent |
devenir devenu devenue devient deviennent | obtenir obtenu obtenue obtient obtiennent |
tenir tenu tient tiennent | maintenir maintenu maintenue maintient maintiennent |
retenir retenu retient | contenir contient contiennent | appartenir appartient |
ecrire ecrit ecrite ecrits ecrites ecris ecrivent | decrire decrit decrite | inscrire inscrit inscrite |
lire lu lue lus lues lis lit lisent | relire relu relue | dire dit dite dis disent |
conduire conduit | traduire traduit traduite | reduire reduit reduite | detruire detruit detruite |
construire construit construite | inclure inclus incluse | exclure exclu exclue |
aller vais va vont alle allee | partir partent pars parti | sortir sors sortent sorti |
dormir dort dorment | servir sert servent servi | suivre suivi suivie suit suivent |
plaire plu plait | suffire suffit suffisent | vivre vecu |
courir couru | recourir recouru | asseoir assis | boire bu | croire crois croit |
pouvoir pu pourrait pourrais pourraient | envoyer envoie envoies envoient envoye envoyee envoyes envoyees |
renvoyer renvoie renvoient renvoye renvoyee
"""
# Forms left out because they are nouns of their own in IT text: « vue » (a view), « prise » (a plug, « prise en
# charge »), « partie », « sortie » (audio output), « contenu », « remise », « court », « produit », « revenu ».


def _table(spec: str) -> dict[str, str]:
    """Parse ``base form form … | base …`` groups into a form -> base mapping."""
    table = {}
    for group in spec.split("|"):
        words = group.split()
        if not words:
            continue
        base = words[0]
        for form in words[1:]:
            table[form] = base
    return table


IRREGULAR = {"fr": _table(_FRENCH_VERBS)}


# Abbreviations of office French and English, written out before stemming: employees type « mdp », « ordi »,
# « appli », "pwd"; articles write « mot de passe », « ordinateur », « application », "password". A standard list
# of office abbreviations, written before measuring (though after reading « mdp » and « appli » in misses on kb/);
# forms a KB itself writes as the abbreviation (« visio », « wifi », "app") are left alone. « tel » is read as
# « téléphone » (« mon tel pro »), so the rare « tel que » of an article also counts as a phone mention (« tel »
# occurs 6 times in the 972 French articles of the shared corpus, 5 of them « tel que / qu' »; never in kb/).
_ABBREVIATIONS = {
    "fr": {"mdp": "mot de passe", "mdps": "mot de passe", "ordi": "ordinateur", "ordis": "ordinateur",
           "appli": "application", "applis": "application", "maj": "mise jour", "majs": "mise jour",
           "pb": "probleme", "pbs": "probleme", "pbm": "probleme", "pj": "piece jointe", "pjs": "piece jointe",
           "reu": "reunion", "compta": "comptabilite", "config": "configuration", "synchro": "synchronisation",
           "admin": "administrateur", "rdv": "rendez", "dispo": "disponible", "perso": "personnel",
           "tel": "telephone"},
    "en": {"pw": "password", "pwd": "password", "passwd": "password", "acct": "account", "msg": "message",
           "msgs": "messages", "config": "configuration", "admin": "administrator", "info": "information",
           "mins": "minutes"},
}


def written_out(word: str, lang: str) -> list[str]:
    """Return the words an abbreviation stands for (already folded), or ``[word]``."""
    found = _ABBREVIATIONS.get(lang, {}).get(word)
    return found.split() if found else [word]


def base_form(word: str, lang: str) -> str:
    """Return the infinitive of an irregular ``word`` (already folded) in ``lang``, or ``word`` itself."""
    table = IRREGULAR.get(lang)
    return table.get(word, word) if table else word
