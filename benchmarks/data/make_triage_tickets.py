"""Write benchmarks/data/triage_tickets.jsonl: labelled French IT tickets for the triage benchmark.

Run: .venv/bin/python benchmarks/data/make_triage_tickets.py   (deterministic: the same file every time)

How the set is built (no model, no outside data): each *topic* below is a kind of request a Ferrand & Associés
employee writes, with its category (helpdesk.yml `categories`) and the group that handles it (helpdesk.yml `groups`:
the group is decided by the topic, not the category, so the two targets differ). Each topic has three *templates*
written by hand in different words (a short complaint, a detailed report, a terse or accent-less message); a ticket
is one template with its slots filled ({site}, {when}, {who}, …), a greeting or not, a sign-off or not, and for some
the accents dropped or everything lower-cased, as people type. Every ticket records its ``topic`` and ``template``
so that the benchmark can hold out a whole template (unseen wording) or a whole topic (unseen kind of request).
"""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent / "triage_tickets.jsonl"
PER_TEMPLATE = 5
SEED = 2026

SLOTS = {
    "site": ["Lyon", "Grenoble", "Annecy", "Chambéry", "siège", "l'agence de Valence", "Villeurbanne"],
    "when": ["depuis ce matin", "depuis hier soir", "depuis lundi", "depuis la mise à jour", "depuis 10 h",
             "depuis mon retour de congés", "par intermittence depuis deux jours"],
    "who": ["Mme Perrin", "M. Lefèvre", "notre stagiaire", "la nouvelle assistante", "Paul Mercier",
            "Sophie Garnier", "le nouveau comptable"],
    "floor": ["au 1er étage", "au 2e étage", "au rez-de-chaussée", "en salle Belledonne", "à l'accueil",
              "en salle Vercors"],
    "date": ["lundi prochain", "le 4 janvier", "la semaine prochaine", "le 15", "début du mois prochain"],
    "app": ["Sage Paie", "Cegid", "le logiciel de GED", "Silae", "l'extranet clients", "le logiciel de facturation"],
    "code": ["0x80070005", "0x800CCC0E", "-7200", "809", "0x8004010F", "403", "5.7.1"],
}

GREETINGS = ["", "", "Bonjour, ", "Bonjour,\n", "Bonjour à tous, ", "Salut, ", "Hello, "]
SIGN_OFFS = ["", "", " Merci.", " Merci d'avance.", "\nCordialement", " Merci de votre aide !", " C'est urgent svp."]

# topic: (category, group, [(title choices, description), … three templates])
TOPICS: dict[str, tuple[str, str, list[tuple[list[str], str]]]] = {
    # --- poste-de-travail -------------------------------------------------------------------------------------
    "pc-lent": ("poste-de-travail", "support-n1", [
        (["PC très lent", "Ordinateur qui rame"], "Mon ordinateur met dix minutes à démarrer {when} et tout rame, même l'explorateur."),
        (["Lenteurs sur mon portable", "Poste lent"], "Le ventilateur tourne à fond et le portable se fige plusieurs secondes à chaque clic. Le gestionnaire des tâches montre le disque à 100 %."),
        (["ca rame", "portable lent"], "tout est lent sur mon pc {when}, impossible de travailler correctement"),
    ]),
    "ecran-noir": ("poste-de-travail", "support-n1", [
        (["Écran noir", "Plus d'affichage"], "Mon deuxième écran reste noir {when}, il n'est plus détecté quand je branche la station d'accueil."),
        (["Station d'accueil HS", "Dock qui ne marche plus"], "Quand je pose le portable sur le dock {floor}, ni les écrans ni le clavier ne fonctionnent. Le voyant du dock est allumé."),
        (["ecran qui clignote", "Affichage bizarre"], "l'ecran clignote et l'image saute toutes les 2 minutes, c'est fatiguant"),
    ]),
    "mise-a-jour": ("poste-de-travail", "support-n1", [
        (["Mise à jour Windows bloquée", "Windows Update en échec"], "Le poste affiche « Préparation de Windows » en boucle {when}, la mise à jour échoue avec l'erreur {code}."),
        (["Redémarrage forcé", "Mises à jour en boucle"], "Windows me demande de redémarrer pour installer des mises à jour, puis annule les modifications au redémarrage. Ça recommence chaque jour."),
        (["pc bloqué au démarrage"], "bloqué sur l'écran bleu 'annulation des modifications' apres la maj, je ne peux pas ouvrir ma session"),
    ]),
    "nouveau-materiel": ("poste-de-travail", "support-n1", [
        (["Demande de souris et clavier", "Besoin d'un casque"], "Serait-il possible d'avoir un casque avec micro et une souris sans fil pour mon poste {floor} ?"),
        (["Remplacement de portable", "Batterie qui ne tient plus"], "La batterie de mon portable ne tient plus qu'une demi-heure. Peut-on me le remplacer ou changer la batterie ?"),
        (["écran supplémentaire"], "je voudrais un second écran pour travailler sur les tableaux, c'est possible ?"),
    ]),
    # --- impression ---------------------------------------------------------------------------------------------
    "bourrage": ("impression", "support-n1", [
        (["Imprimante bloquée", "Bourrage papier"], "L'imprimante {floor} affiche un bourrage papier dans le bac 2 {when}, j'ai ouvert les capots mais rien à faire."),
        (["Copieur en erreur", "Photocopieur HS"], "Le copieur de {site} indique « Bourrage » alors qu'il n'y a aucune feuille coincée. Plus personne ne peut imprimer."),
        (["imprimante coincee"], "papier coincé dans la grosse imprimante, voyant orange qui clignote"),
    ]),
    "file-impression": ("impression", "support-n1", [
        (["Impression qui ne sort pas", "Documents bloqués dans la file"], "J'envoie mes documents à l'imprimante mais rien ne sort {when}. Ils restent « en attente » dans la file d'impression."),
        (["Imprimante hors ligne", "Imprimante introuvable"], "Mon poste indique que l'imprimante {floor} est hors ligne alors que les collègues impriment dessus sans problème."),
        (["impossible d'imprimer"], "rien ne s'imprime, la file est pleine de documents en erreur"),
    ]),
    "scan-toner": ("impression", "support-n1", [
        (["Scan vers mail en panne", "Numérisation impossible"], "Le scan vers e-mail du copieur de {site} ne m'envoie plus rien {when}, alors que le scan vers clé USB fonctionne."),
        (["Toner vide", "Plus d'encre"], "L'imprimante couleur {floor} affiche « toner cyan vide ». Pouvez-vous commander ou remplacer la cartouche ?"),
        (["traces sur les impressions"], "les feuilles sortent avec des traînées noires sur toute la page, le tambour est peut-être usé"),
    ]),
    # --- messagerie ---------------------------------------------------------------------------------------------
    "outlook-plante": ("messagerie", "support-n1", [
        (["Outlook plante", "Outlook ne s'ouvre plus"], "Outlook se ferme tout seul au démarrage {when}, j'ai un message « Outlook a cessé de fonctionner »."),
        (["Outlook demande le mot de passe en boucle", "Fenêtre d'identification Outlook"], "Outlook me redemande mon mot de passe toutes les cinq minutes, je le saisis et la fenêtre revient aussitôt."),
        (["outlook bloqué"], "outlook reste bloqué sur 'chargement du profil', impossible de lire mes mails"),
    ]),
    "mails-recus": ("messagerie", "support-n1", [
        (["Mails non reçus", "Je ne reçois plus de courriels"], "Je ne reçois plus les e-mails des clients {when}, seuls les messages internes arrivent."),
        (["Message renvoyé à l'expéditeur", "Mail rejeté"], "Mes messages vers un client reviennent avec un rapport de non-remise {code}. L'adresse est pourtant correcte."),
        (["boite pleine"], "ma boite aux lettres est pleine, je ne peux plus envoyer ni recevoir"),
    ]),
    "agenda": ("messagerie", "support-n1", [
        (["Agenda partagé invisible", "Calendrier d'équipe disparu"], "Je ne vois plus l'agenda partagé de l'équipe comptable dans Outlook {when}."),
        (["Délégation d'agenda", "Accès à l'agenda de mon responsable"], "{who} souhaite que je puisse gérer ses rendez-vous : pouvez-vous me donner la délégation sur son calendrier ?"),
        (["invitations qui n'arrivent pas"], "les invitations de réunion que j'envoie n'apparaissent pas dans le calendrier des participants"),
    ]),
    # --- reseau-vpn -----------------------------------------------------------------------------------------------
    "vpn": ("reseau-vpn", "systemes-n2", [
        (["VPN qui coupe", "Déconnexions VPN"], "En télétravail, le VPN se déconnecte toutes les dix minutes {when} et je perds les fichiers ouverts sur le serveur."),
        (["Connexion VPN refusée", "Impossible de me connecter au VPN"], "Le client VPN affiche l'erreur {code} quand je lance la connexion depuis chez moi. Mon mot de passe est bon."),
        (["vpn ko"], "pas moyen de me connecter au vpn depuis la maison, ça tourne et ça échoue"),
    ]),
    "wifi": ("reseau-vpn", "support-n1", [
        (["Pas de wifi en salle de réunion", "Wifi instable"], "Le wifi {floor} de {site} ne fonctionne pas {when} : l'ordinateur se connecte mais n'a pas d'internet."),
        (["Wifi invités", "Code wifi pour un visiteur"], "Nous recevons un client {date} : comment lui donner un accès au wifi invités pour la journée ?"),
        (["wifi qui décroche"], "le wifi decroche sans arret dans l'open space, on doit se reconnecter tout le temps"),
    ]),
    "lecteur-reseau": ("reseau-vpn", "systemes-n2", [
        (["Lecteur réseau inaccessible", "Plus accès au dossier partagé"], "Le lecteur P: (dossiers partagés) n'apparaît plus dans l'explorateur {when}, le chemin réseau est introuvable."),
        (["Internet très lent à l'agence", "Réseau saturé"], "À {site}, tout le réseau est très lent {when} : les pages mettent une minute à charger et le serveur de fichiers ne répond plus."),
        (["serveur de fichiers injoignable"], "impossible d'ouvrir les fichiers sur le serveur, 'accès réseau refusé' sur tout le service"),
    ]),
    # --- comptes-acces --------------------------------------------------------------------------------------------
    "mot-de-passe": ("comptes-acces", "support-n1", [
        (["Mot de passe oublié", "Réinitialisation du mot de passe"], "J'ai oublié mon mot de passe Windows après mes congés, pouvez-vous le réinitialiser ?"),
        (["Mot de passe expiré", "Changement de mot de passe impossible"], "Windows me dit que mon mot de passe a expiré mais refuse le nouveau, il dit qu'il ne respecte pas la politique."),
        (["mdp perdu"], "je ne me souviens plus de mon mdp, je ne peux plus ouvrir ma session"),
    ]),
    "compte-bloque": ("comptes-acces", "support-n1", [
        (["Compte verrouillé", "Session bloquée"], "Mon compte est verrouillé {when} après plusieurs essais, le message dit de contacter l'administrateur."),
        (["Authentification à deux facteurs", "Nouveau téléphone et MFA"], "J'ai changé de téléphone et je ne reçois plus les codes de validation de l'authentification multifacteur."),
        (["compte bloque"], "compte bloqué, impossible de me logger sur le pc ni sur le webmail"),
    ]),
    "droits-dossier": ("comptes-acces", "systemes-n2", [
        (["Accès à un dossier partagé", "Droits sur le répertoire Compta"], "Pourriez-vous me donner l'accès en écriture au dossier partagé « Comptabilité clients » ? {who} est d'accord."),
        (["Ajout dans un groupe de sécurité", "Accès refusé à un répertoire"], "Quand j'ouvre le répertoire Projets 2026, j'ai « Accès refusé ». J'ai besoin de ces fichiers pour le dossier de {who}."),
        (["droits lecture dossier rh"], "besoin des droits en lecture sur le dossier RH pour la campagne d'entretiens"),
    ]),
    # --- logiciels-metier ----------------------------------------------------------------------------------------
    "erp-erreur": ("logiciels-metier", "alpes-infogerance", [
        (["Erreur dans {app}", "{app} plante"], "{app} affiche une erreur {code} à l'ouverture d'un dossier client {when}, je ne peux plus saisir."),
        (["Plantage à la clôture", "Export impossible"], "Lors de l'export de fin de mois dans {app}, le logiciel se fige puis se ferme. Plusieurs collègues ont le même souci."),
        (["appli metier bloquée"], "le logiciel de compta ne répond plus quand je valide une écriture, écran blanc"),
    ]),
    "licence": ("logiciels-metier", "alpes-infogerance", [
        (["Licence expirée", "Licence {app}"], "{app} m'indique que la licence a expiré {when} et passe en lecture seule."),
        (["Plus de jeton de licence", "Nombre de licences atteint"], "Impossible de me connecter à {app} : « nombre maximal d'utilisateurs atteint ». On est pourtant peu nombreux ce matin."),
        (["licence pas valide"], "message licence invalide au lancement du logiciel de paie"),
    ]),
    "installer-logiciel": ("logiciels-metier", "support-n1", [
        (["Installation d'un logiciel", "Besoin d'installer un outil"], "Je voudrais installer un lecteur PDF avec signature électronique, je ne le trouve pas dans le Portail d'entreprise."),
        (["Mise à jour d'Excel", "Macro Excel qui ne marche plus"], "Depuis la mise à jour d'Office, les macros de notre fichier de suivi Excel ne s'exécutent plus."),
        (["installer teams sur nouveau pc"], "il manque des logiciels sur mon nouveau poste, pouvez-vous installer la suite habituelle ?"),
    ]),
    # --- telephonie-visio -----------------------------------------------------------------------------------------
    "telephone": ("telephonie-visio", "alpes-infogerance", [
        (["Téléphone fixe muet", "Poste téléphonique HS"], "Mon téléphone de bureau {floor} n'a plus de tonalité {when}, l'écran affiche « enregistrement en cours »."),
        (["Transfert d'appel", "Renvoi vers mon portable"], "Comment renvoyer mon poste fixe vers mon portable pendant mes déplacements ? Le renvoi que j'ai programmé ne marche pas."),
        (["standard injoignable"], "les clients n'arrivent plus à joindre le standard de {site}, ça sonne occupé"),
    ]),
    "visio": ("telephonie-visio", "support-n1", [
        (["Pas de son en visio", "Micro qui ne marche pas dans Teams"], "En réunion Teams, personne ne m'entend {when}, le micro du casque est pourtant détecté par Windows."),
        (["Caméra non détectée", "Webcam noire"], "Ma webcam reste noire dans les visioconférences, alors qu'elle fonctionne avec l'application Caméra."),
        (["son qui grésille en réunion"], "le son grésille et coupe pendant les appels teams, les autres m'entendent comme un robot"),
    ]),
    "salle-visio": ("telephonie-visio", "support-n1", [
        (["Salle de visio en panne", "Écran de la salle de réunion"], "Le système de visio {floor} ne démarre pas : l'écran reste sur « aucun signal » et la barre de son est éteinte."),
        (["Réservation du matériel de visio", "Préparer une visio pour un séminaire"], "Nous organisons une visio avec 30 personnes {date} dans la grande salle de {site}, pouvez-vous vérifier le matériel ?"),
        (["salle belledonne visio ko"], "impossible de projeter ni de lancer la visio en salle de réunion, rien ne s'allume"),
    ]),
    # --- securite -------------------------------------------------------------------------------------------------
    "phishing": ("securite", "systemes-n2", [
        (["Mail suspect", "Tentative d'hameçonnage ?"], "J'ai reçu un e-mail qui imite notre banque et demande de cliquer sur un lien pour « valider mon compte ». Je n'ai pas cliqué."),
        (["J'ai cliqué sur un lien douteux", "Lien frauduleux ouvert"], "J'ai cliqué par erreur sur le lien d'un faux mail de livraison et saisi mon mot de passe {when}. Que dois-je faire ?"),
        (["phishing"], "encore un mail bizarre avec une pièce jointe facture.zip, je le transfère ?"),
    ]),
    "virus": ("securite", "systemes-n2", [
        (["Alerte antivirus", "Virus détecté"], "L'antivirus affiche une menace détectée et mise en quarantaine {when} sur mon poste, que dois-je faire ?"),
        (["Fichiers renommés", "Fichiers chiffrés sur le partage"], "Plusieurs fichiers du dossier partagé ont une extension bizarre et ne s'ouvrent plus. Un message demande une rançon."),
        (["pop-up antivirus"], "des fenêtres de pub et une alerte de sécurité s'ouvrent toutes seules sur mon navigateur"),
    ]),
    "perte-materiel": ("securite", "systemes-n2", [
        (["Ordinateur volé", "Vol de portable"], "On m'a volé mon ordinateur portable dans le train {when}. J'ai porté plainte, il faut bloquer mes accès."),
        (["Téléphone perdu", "Smartphone professionnel égaré"], "J'ai perdu mon smartphone professionnel hier soir, il contient ma messagerie. Pouvez-vous l'effacer à distance ?"),
        (["clé usb perdue"], "j'ai perdu la clé usb chiffrée avec les dossiers clients, je préviens qui ?"),
    ]),
    # --- arrivees-departs -----------------------------------------------------------------------------------------
    "arrivee": ("arrivees-departs", "support-n1", [
        (["Arrivée d'un collaborateur", "Nouvel arrivant"], "{who} arrive {date} à {site} : il lui faut un poste, un compte, une adresse mail et un badge."),
        (["Préparer le poste d'un nouvel arrivant", "Accueil d'un stagiaire"], "Un stagiaire rejoint le service juridique {date} pour six mois. Merci de préparer son ordinateur et ses accès."),
        (["nouvelle recrue"], "on accueille une nouvelle personne lundi, il faut tout son matériel et ses comptes"),
    ]),
    "depart": ("arrivees-departs", "support-n1", [
        (["Départ d'un collaborateur", "Fin de contrat"], "{who} quitte le cabinet {date}. Merci de désactiver ses accès et de récupérer son matériel."),
        (["Transfert de la boîte mail d'un partant", "Récupérer les fichiers d'un ancien salarié"], "Suite au départ de {who}, son responsable doit récupérer ses mails et les fichiers de son OneDrive."),
        (["depart fin du mois"], "départ d'un collègue à la fin du mois, restitution du pc et du téléphone à prévoir"),
    ]),
    "mutation": ("arrivees-departs", "systemes-n2", [
        (["Changement de service", "Mutation interne"], "{who} passe du service comptable au service paie {date} : il faut adapter ses droits et ses listes de diffusion."),
        (["Changement d'agence", "Déménagement vers une autre agence"], "Je suis muté à {site} {date}. Faut-il reconfigurer mon poste, mon téléphone et mes accès au réseau de l'agence ?"),
        (["changement de nom"], "suite à mon mariage je change de nom, pouvez-vous modifier mon adresse mail et mon compte ?"),
    ]),
}


def strip_accents(text: str) -> str:
    """Return ``text`` without accents, as typed on a keyboard without them."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def fill(rng: random.Random, text: str) -> str:
    """Fill the template's slots with random values."""
    for slot, values in SLOTS.items():
        while "{" + slot + "}" in text:
            text = text.replace("{" + slot + "}", rng.choice(values), 1)
    return text


def tickets(rng: random.Random) -> list[dict]:
    """Return every ticket of the set, in a stable order."""
    out = []
    for topic, (category, group, templates) in TOPICS.items():
        for number, (titles, body) in enumerate(templates):
            for _ in range(PER_TEMPLATE):
                title = fill(rng, rng.choice(titles))
                description = rng.choice(GREETINGS) + fill(rng, body) + rng.choice(SIGN_OFFS)
                style = rng.random()
                if style < 0.15:
                    title, description = strip_accents(title), strip_accents(description)
                elif style < 0.25:
                    title, description = title.lower(), description.lower()
                out.append({"title": title, "description": description, "category": category, "group": group,
                            "topic": topic, "template": f"{topic}/{number}"})
    return out


def main() -> None:
    rows = tickets(random.Random(SEED))
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} tickets, {len(TOPICS)} topics, {sum(len(t[2]) for t in TOPICS.values())} templates -> {OUT}")


if __name__ == "__main__":
    main()
