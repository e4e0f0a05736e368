"""Every dashboard figure's definition, in French (the catalogue's message), by a stable id the API and exports carry."""

from __future__ import annotations

from ticket_service.domain.messages import N_

# {n} is the reopen window in days. Every text states its population, its clock and its window.
DEFINITIONS = {
    "volume.created": N_("Tickets créés pendant la période (date de création), comptés selon leur catégorie et leur "
                         "type à la fin de la période."),
    "backlog.open": N_("Tickets ouverts (nouveau, en cours, en attente, en attente de validation) à la fin de la "
                       "période, d'après leur historique ; un ticket résolu en attente de confirmation n'en fait pas "
                       "partie."),
    "backlog.median_age": N_("Âge médian des tickets ouverts à la fin de la période : jours calendaires depuis la "
                             "création."),
    "sla.first_response": N_("Part des premières réponses jugées pendant la période qui tiennent dans la cible de la "
                             "priorité, en heures ouvrées du calendrier du demandeur, pauses (validation) déduites. "
                             "Une première réponse est jugée quand un technicien répond (tenue ou dépassée selon le "
                             "temps écoulé) ou, sans réponse, quand la cible est franchie (dépassée) ; sans réponse "
                             "et dans la cible, elle attend ; un ticket clos sans réponse n'est pas jugé."),
    "sla.resolution": N_("Part des tickets résolus pendant la période (dernière résolution de la période, toujours "
                         "valable à sa fin) résolus dans la cible de la priorité : heures ouvrées de la création à la "
                         "résolution, pauses (en attente, validation, résolu avant une réouverture) déduites."),
    "sla.open_breached": N_("Tickets encore ouverts à la fin de la période dont le temps ouvré écoulé, pauses "
                            "déduites, dépasse déjà la cible de résolution."),
    "sla.ola": N_("Prestataire (OLA) : part des tickets résolus pendant la période passés par le prestataire dont le "
                  "temps passé chez lui, en heures ouvrées de son calendrier, pauses déduites, tient dans sa cible "
                  "(ola de helpdesk.yml, sinon la cible de résolution de la priorité)."),
    "levels.resolved": N_("Tickets résolus pendant la période, répartis selon le niveau (N1, N2, N3) où ils étaient "
                          "au moment de la résolution."),
    "levels.escalation_rate": N_("Part des tickets résolus pendant la période escaladés au moins une fois avant leur "
                                 "résolution."),
    "levels.self_service": N_("Demandes closes par le demandeur lui-même (« Finalement c'est résolu ») pendant la "
                              "période ; hors des autres indicateurs de résolution."),
    "critical.open": N_("Incidents critiques ouverts à la fin de la période : priorité P1 ou incident majeur ; âge "
                        "en heures depuis la création ; demandeur, technicien assigné et personnes ayant dit « moi "
                        "aussi »."),
    "mttr.mean": N_("Temps moyen de résolution des tickets résolus pendant la période : heures ouvrées du calendrier "
                    "du demandeur de la création à la résolution, pauses déduites."),
    "mttr.median": N_("Temps médian de résolution, même population et même horloge (moyenne des deux valeurs "
                      "centrales pour un nombre pair)."),
    "mttr.p90": N_("90e centile du temps de résolution, même population et même horloge : la valeur de rang "
                   "⌈0,9 × n⌉ des durées triées."),
    "fcr.rate": N_("Résolution au premier contact : part des tickets résolus pendant la période sans escalade, sans "
                   "changement de groupe, sans réouverture, sans passage « en attente » du demandeur, avec au plus "
                   "une réponse publique d'un technicien avant la résolution. Dénominateur : les tickets résolus "
                   "pendant la période."),
    "reopen.rate": N_("Taux de réouverture : part des résolutions de la période suivies, dans les {n} jours, d'une "
                      "réouverture (résolution refusée par le demandeur ou ticket rouvert par le support)."),
    "csat.average": N_("Satisfaction moyenne (1 à 5) des tickets résolus pour la première fois pendant la période "
                       "et évalués."),
    "csat.response_rate": N_("Taux de réponse à l'enquête : évaluations ÷ enquêtes envoyées ; une enquête est envoyée "
                             "pour chaque ticket résolu pour la première fois pendant la période (hors doublons "
                             "fusionnés)."),
    "workload.open": N_("Charge par technicien : tickets ouverts qui lui sont assignés à la fin de la période, "
                        "résolutions qu'il a enregistrées et réponses publiques qu'il a écrites pendant la période."),
}
