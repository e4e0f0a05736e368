"""Demo data for « Ferrand & Associés »: people and a month of realistic tickets (idempotent)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from ticket_service.demo.help_sessions import load_help_sessions
from ticket_service.domain import tickets, transitions
from ticket_service.domain.approvals import decide
from ticket_service.domain.context import Context
from ticket_service.domain.history import record
from ticket_service.store.models import Comment, Person, Ticket, TicketLink, utcnow

D = "@ferrand-associes.fr"
PEOPLE = [  # (email, name, role, site)
    (f"claire.rousseau{D}", "Claire Rousseau", "employee", "Lyon"),
    (f"lucas.petit{D}", "Lucas Petit", "employee", "Grenoble"),
    (f"emma.lefebvre{D}", "Emma Lefebvre", "employee", "Lyon"),
    (f"hugo.moreau{D}", "Hugo Moreau", "employee", "Lyon"),
    (f"lea.garnier{D}", "Léa Garnier", "employee", "Grenoble"),
    (f"antoine.roux{D}", "Antoine Roux", "employee", "Grenoble"),
    (f"julie.martin{D}", "Julie Martin", "technician", "Lyon"),
    (f"karim.benali{D}", "Karim Benali", "technician", "Grenoble"),
    (f"thomas.girard{D}", "Thomas Girard", "technician", "Lyon"),
    ("support@alpes-infogerance.fr", "Alpes Infogérance (support)", "technician", None),
    (f"sophie.ferrand{D}", "Sophie Ferrand", "approver", "Lyon"),
    (f"marc.dubois{D}", "Marc Dubois", "approver", "Lyon"),
    (f"nadia.chevalier{D}", "Nadia Chevalier", "admin", "Lyon"),
]
DEPARTMENTS = {  # e-mail local part → service, shown on /admin
    "claire.rousseau": "Comptabilité", "lucas.petit": "Bureau d'études", "emma.lefebvre": "Bureau d'études",
    "hugo.moreau": "Comptabilité", "lea.garnier": "Agence de Grenoble", "antoine.roux": "Agence de Grenoble",
    "julie.martin": "Informatique", "karim.benali": "Informatique", "thomas.girard": "Informatique",
    "sophie.ferrand": "Direction", "marc.dubois": "Direction", "nadia.chevalier": "Informatique",
}

# Each ticket: requester, days ago, fields, then steps as (hours after creation, actor, action, arguments).
TICKETS = [
    ("claire.rousseau", 29, dict(title="Imprimante du 2e étage hors connexion", category="impression", impact="medium", urgency="medium",
     description="L'imprimante Ricoh du 2e étage apparaît « hors connexion » depuis ce matin, personne ne peut imprimer."),
     [(1, "julie.martin", "move", {"to": "in_progress"}),
      (2, "julie.martin", "resolve", {"note": "Imprimante redémarrée et file d'attente purgée ; elle avait perdu son adresse IP.", "articles": ["imprimante-hors-connexion"]}),
      (5, "claire.rousseau", "move", {"to": "closed"}), (5, "claire.rousseau", "rate", {"rating": 5, "comment": "Merci, très rapide !"})]),
    ("lucas.petit", 6, dict(title="VPN coupé toutes les 10 minutes depuis la maison", category="reseau-vpn", impact="low", urgency="high",
     description="En télétravail, le VPN se déconnecte toutes les dix minutes environ, je perds mes fichiers ouverts."),
     [(1, "karim.benali", "move", {"to": "in_progress"}),
      (2, "karim.benali", "note", {"body": "Box Free, MTU suspect. Journaux FortiClient récupérés."}),
      (3, "karim.benali", "escalate", {"reason": "Coupures reproduites sur deux postes : vérifier la configuration du concentrateur VPN."})]),
    ("emma.lefebvre", 3, dict(title="Outlook ne se synchronise plus sur le téléphone", category="messagerie", impact="low", urgency="medium",
     description="Depuis le changement de mot de passe, les mails n'arrivent plus sur mon iPhone."),
     [(2, "julie.martin", "move", {"to": "in_progress"}),
      (3, "julie.martin", "reply", {"body": "Pouvez-vous supprimer puis rajouter le compte dans l'application Outlook et me dire si l'erreur persiste ?"}),
      (3, "julie.martin", "move", {"to": "waiting", "reason": "essai demandé à l'utilisatrice"})]),
    ("emma.lefebvre", 2, dict(title="Écran de récupération BitLocker au démarrage", category="poste-de-travail", impact="low", urgency="high",
     description="Mon portable demande une clé de récupération BitLocker à chaque démarrage."),
     [(0.5, "julie.martin", "move", {"to": "in_progress"}),
      (1, "julie.martin", "resolve", {"note": "Clé de récupération communiquée par téléphone, puis TPM réinitialisé.", "articles": ["bitlocker-ecran-recuperation", "bitlocker-recuperer-cle-intune"]})]),
    ("hugo.moreau", 1, dict(title="Accès au dossier partagé Comptabilité", type="access_request", catalogue_item="dossier-comptabilite",
     description="J'ai besoin de lire les justificatifs 2026 pour la clôture trimestrielle."), []),
    ("lea.garnier", 8, dict(title="Accès VPN nomade pour le salon de Grenoble", type="access_request", catalogue_item="vpn-nomade",
     description="Je tiens le stand du salon Alpexpo la semaine prochaine et dois accéder au CRM depuis l'extérieur."),
     [(4, "marc.dubois", "decide", {"decision": "approved", "comment": "OK pour la durée du salon."}),
      (5, "karim.benali", "move", {"to": "in_progress"})]),
    ("antoine.roux", 12, dict(title="Accès au CRM clients pour un stagiaire", type="access_request", catalogue_item="crm-clients",
     description="Notre stagiaire doit consulter les fiches clients de l'agence."),
     [(20, "sophie.ferrand", "decide", {"decision": "rejected", "comment": "Pas d'accès CRM pour les stagiaires : passer par Antoine."})]),
    ("claire.rousseau", 4, dict(title="Poste pour l'arrivée d'Inès Bernard le 1er décembre", type="service_request", category="arrivees-departs",
     impact="low", urgency="medium", description="Nouvelle comptable à Lyon : portable, compte, messagerie et accès à la paie."),
     [(3, "julie.martin", "move", {"to": "in_progress"}), (4, "julie.martin", "note", {"body": "Portable commandé chez le grossiste, livraison prévue le 27."})]),
    ("thomas.girard", 5, dict(title="Lenteurs du serveur de fichiers de Grenoble", type="problem", category="reseau-vpn", impact="high", urgency="medium",
     description="Incidents répétés d'accès au serveur de fichiers de l'agence de Grenoble : analyse de cause en cours."),
     [(1, "thomas.girard", "move", {"to": "in_progress"})]),
    ("lea.garnier", 1, dict(title="Serveur de fichiers de Grenoble inaccessible", category="reseau-vpn", impact="high", urgency="high",
     description="Plus personne à Grenoble n'accède au lecteur S:, message « chemin réseau introuvable »."),
     [(0.2, "karim.benali", "move", {"to": "in_progress"}),
      (0.3, "karim.benali", "publish", {"public_title": "Agence de Grenoble : lecteur S: inaccessible", "public_text": "Le serveur de fichiers de Grenoble ne répond plus. Nos équipes sont dessus ; inutile d'ouvrir une demande, cliquez sur « moi aussi ».", "major": True}),
      (0.5, "karim.benali", "link", {"kind": "caused_by", "target": 9}),
      (0.6, "karim.benali", "escalate", {"reason": "Panne matérielle probable du NAS : intervention N2 sur site."}),
      (1, "thomas.girard", "escalate", {"reason": "Contrôleur RAID en défaut : le prestataire doit remplacer la carte."})]),
    ("antoine.roux", 0.9, dict(title="Impossible d'ouvrir les dossiers clients à Grenoble", category="reseau-vpn", impact="medium", urgency="high",
     description="Les dossiers clients sur S: ne s'ouvrent plus, Excel reste bloqué."),
     [(0.2, "karim.benali", "link", {"kind": "caused_by", "target": 9})]),
    ("hugo.moreau", 20, dict(title="Code PIN Windows Hello oublié", category="poste-de-travail", impact="low", urgency="high",
     description="Je ne me souviens plus de mon code PIN pour ouvrir ma session."),
     [(0.3, "julie.martin", "resolve", {"note": "Réinitialisation du code PIN guidée par téléphone.", "articles": ["windows-hello-code-pin"]}),
      (1, "hugo.moreau", "move", {"to": "closed"}), (1, "hugo.moreau", "rate", {"rating": 4})]),
    ("lucas.petit", 25, dict(title="Disque plein, impossible d'enregistrer mes fichiers", category="poste-de-travail", impact="low", urgency="medium",
     description="Windows m'indique que le disque C: est plein."),
     [(2, "karim.benali", "move", {"to": "in_progress"}),
      (3, "karim.benali", "resolve", {"note": "Nettoyage du cache OneDrive et des téléchargements : 40 Go libérés.", "articles": ["espace-disque-plein"]}),
      (24 * 9, None, "autoclose", {})]),
    ("claire.rousseau", 15, dict(title="Installer le module de paie sur mon poste", type="service_request", category="logiciels-metier",
     impact="low", urgency="low", description="Pour préparer les fiches de paie de décembre."),
     [(5, "claire.rousseau", "move", {"to": "cancelled", "reason": "Finalement fait par le cabinet d'expertise."})]),
    ("emma.lefebvre", 18, dict(title="Pas de son dans Teams avec le casque", category="telephonie-visio", impact="low", urgency="medium",
     description="Le casque Jabra fonctionne partout sauf dans Teams, mes correspondants ne m'entendent pas."),
     [(1, "julie.martin", "move", {"to": "in_progress"}),
      (2, "julie.martin", "resolve", {"note": "Périphérique audio par défaut de Teams réglé sur le casque, firmware Jabra mis à jour.", "kb_gap": True}),
      (30, "emma.lefebvre", "move", {"to": "closed"})]),
    ("antoine.roux", 0.1, dict(title="Double authentification : j'ai changé de téléphone", category="comptes-acces", impact="low", urgency="high",
     description="Mon nouveau téléphone ne reçoit pas les demandes d'approbation Microsoft Authenticator."), []),
]


def ensure_people(db: Session, password: str, method: str = "scrypt") -> dict[str, Person]:
    """Create the demo people that do not exist yet; return them by e-mail local part ("alpes" for N3)."""
    people = {}
    for email, name, role, site in PEOPLE:
        person = db.scalar(select(Person).where(Person.email == email))
        if person is None:
            person = Person(email=email, name=name, role=role, site=site, department=DEPARTMENTS.get(email.split("@")[0]),
                            active=True, session_epoch=0,
                            password_hash=generate_password_hash(password, method=method))
            db.add(person)
        people[email.split("@")[0] if email.endswith(D) else "alpes"] = person
    db.flush()
    return people


def load_demo(db: Session, ctx: Context, password: str, method: str = "scrypt", now: datetime | None = None) -> dict:
    """Create the demo people and tickets once; running it again changes nothing."""
    now = now or utcnow()
    people = ensure_people(db, password, method)
    created = []
    for index, (requester, days_ago, fields, steps) in enumerate(TICKETS):
        marker = f"demo-{index:02d}"
        if db.scalar(select(Ticket).where(Ticket.help_session_id == marker)) is not None:
            continue
        start = now - timedelta(days=days_ago)
        ticket = tickets.create_ticket(db, ctx, people[requester], {**fields, "help_session_id": marker}, now=start)
        created.append(ticket)
        for hours, actor, action, args in steps:
            at = min(start + timedelta(hours=hours), now - timedelta(minutes=1))
            _step(db, ctx, ticket, people.get(actor) if actor else None, action, dict(args), at, created)
    help_events = load_help_sessions(db, ctx, now)
    return {"people": len(people), "tickets_created": len(created), "help_events": help_events}


def _step(db, ctx, ticket, actor, action, args, at, created) -> None:
    if action == "move":
        transitions.transition(db, ctx, ticket, actor, args.pop("to"), now=at, **args)
        if ticket.assignee_id is None and actor is not None and actor.role == "technician":
            ticket.assignee_id = actor.id
            record(db, ticket, actor, "assignee_id", None, actor.id, now=at)
    elif action == "resolve":
        transitions.transition(db, ctx, ticket, actor, "resolved", now=at, **args)
    elif action in ("note", "reply"):
        db.add(Comment(ticket_id=ticket.id, author_id=actor.id, body=args["body"], internal=action == "note", created_at=at))
        if action == "reply" and ticket.first_response_at is None:
            ticket.first_response_at = at
    elif action == "escalate":
        transitions.escalate(db, ctx, ticket, actor, args["reason"], now=at)
    elif action == "decide":
        decide(db, ctx, ticket, actor, args["decision"], args.get("comment"), now=at)
    elif action == "rate":
        ticket.satisfaction_rating, ticket.satisfaction_comment = args["rating"], args.get("comment")
    elif action == "publish":
        ticket.published, ticket.major = True, args["major"]
        ticket.public_title, ticket.public_text = args["public_title"], args["public_text"]
        record(db, ticket, actor, "published", False, True, now=at)
    elif action == "link":
        target = db.scalar(select(Ticket).where(Ticket.help_session_id == f"demo-{args['target']:02d}"))
        if target is not None:
            db.add(TicketLink(source_id=ticket.id, target_id=target.id, kind=args["kind"], created_by=actor.id, created_at=at))
    elif action == "autoclose":
        transitions.transition(db, ctx, ticket, None, "closed", reason="clôture automatique sans réponse du demandeur", now=at)
    db.flush()
