"""A tiny real French KB for the search tests, written into a temporary folder."""

from __future__ import annotations

from pathlib import Path

ARTICLES = {
    "messagerie/outlook-mot-de-passe.md": """---
id: outlook-demande-mot-de-passe
title: Outlook redemande sans cesse le mot de passe
type: solution
category: messagerie
audience: employees
tags: [outlook, authentification]
symptoms:
  - Outlook me demande mon mot de passe en boucle
  - la fenêtre de connexion revient toujours
---
# Outlook redemande sans cesse le mot de passe

## Symptômes
Outlook affiche la fenêtre d'authentification à chaque démarrage, même après la saisie du bon mot de passe.

## Résolution
Supprimez les identifiants enregistrés dans le Gestionnaire d'identification Windows, puis redémarrez Outlook.
""",
    "messagerie/erreur-0x8004010f.md": """---
id: outlook-erreur-0x8004010f
title: Erreur 0x8004010F à l'envoi ou la réception
type: known-error
category: messagerie
audience: employees
tags: [outlook, profil]
symptoms:
  - message d'erreur 0x8004010F impossible d'envoyer ou recevoir
---
# Erreur 0x8004010F à l'envoi ou la réception

## Cause
Le fichier de données du profil Outlook est introuvable ou endommagé.

## Résolution
Créez un nouveau profil Outlook depuis le Panneau de configuration, rubrique Courrier.
""",
    "messagerie/quota-5-1-90.md": """---
id: limite-envoi-5-1-90
title: Message 5.1.90 limite quotidienne d'envoi atteinte
type: known-error
category: messagerie
audience: employees
tags: [envoi, quota]
symptoms:
  - mes mails reviennent avec le code 5.1.90
---
# Message 5.1.90 limite quotidienne d'envoi atteinte

La boîte a dépassé le nombre de destinataires autorisé par jour. Attendez vingt-quatre heures ou demandez une liste de diffusion.
""",
    "reseau-vpn/vpn-deconnexion.md": """---
id: vpn-se-deconnecte
title: Le VPN se déconnecte toutes les cinq minutes
type: solution
category: reseau-vpn
audience: employees
tags: [vpn, télétravail]
symptoms:
  - le vpn coupe tout le temps en télétravail
---
# Le VPN se déconnecte toutes les cinq minutes

## Symptômes
La connexion VPN tombe régulièrement depuis le domicile.

## Résolution
Branchez l'ordinateur en filaire ou rapprochez-vous de la box, puis relancez le client VPN.
""",
    "impression/imprimante-bloquee.md": """---
id: imprimante-file-bloquee
title: L'imprimante n'imprime plus, la file d'attente est bloquée
type: solution
category: impression
audience: employees
tags: [imprimante, spouleur]
symptoms:
  - mes impressions restent en attente
---
# L'imprimante n'imprime plus

## Résolution
Annulez les documents en attente puis redémarrez l'ordinateur.
""",
    "poste-de-travail/reinitialiser-spouleur.md": """---
id: reinitialiser-spouleur-serveur
title: Réinitialiser le spouleur d'impression du serveur
type: procedure
category: impression
audience: technicians
tags: [imprimante, serveur, spouleur]
symptoms:
  - les impressions restent en attente pour tout un étage
---
# Réinitialiser le spouleur d'impression du serveur

## Étapes
Arrêtez le service Spouleur d'impression sur le serveur, videz le dossier spool, relancez le service.
""",
}


def write_kb(root: Path) -> Path:
    """Write the tiny KB under ``root / "kb"`` and return that folder."""
    kb = root / "kb"
    for relative, text in ARTICLES.items():
        path = kb / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return kb
