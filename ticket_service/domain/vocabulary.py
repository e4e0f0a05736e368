"""The helpdesk's words, each defined once: statuses and their groups, roles, levels, priorities, request types."""

from __future__ import annotations

from search import ARTICLE_ID_PATTERN

# Ticket statuses (DESIGN §5) and the groups the rules reason about.
STATUSES = ("new", "in_progress", "waiting", "awaiting_approval", "resolved", "closed", "rejected", "cancelled")
OPEN = ("new", "in_progress", "waiting", "awaiting_approval")
WORKING = ("new", "in_progress", "waiting")  # open and past approval: what a technician works on
DONE = ("resolved", "closed")  # a resolution exists (reports, « résolu N fois », drafts)
ENDED = ("closed", "rejected", "cancelled")  # nothing more happens to the ticket

REQUEST_TYPES = ("incident", "problem", "service_request", "access_request")
RETYPABLE = ("incident", "problem", "service_request")  # access requests carry a catalogue item and approvals
EMPLOYEE_TYPES = ("incident", "service_request", "access_request")  # what an employee may open
SELF_RESOLVABLE = ("incident", "service_request")

ROLES = ("employee", "approver", "technician", "admin")
STAFF_ROLES = frozenset({"technician", "admin"})

LEVELS = ("N1", "N2", "N3")
NEXT_LEVEL = {"N1": "N2", "N2": "N3"}
PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_RANK = {p: i for i, p in enumerate(PRIORITIES, 1)}

# Where a request came in: the portal's form, the JSON API, mail, a monitoring alert, an import, the desk (by phone).
CHANNELS = ("form", "api", "web", "mail", "monitoring", "import", "phone")

LINK_KINDS = ("duplicate_of", "caused_by", "related")
DECISIONS = ("approved", "rejected")

ARTICLE_ID = ARTICLE_ID_PATTERN  # the front-matter id rule, from the KB schema itself

# Text bounds shared by every door (API, pages, no-JS form, mail): (minimum without surrounding spaces, maximum).
TITLE = (3, 200)
DESCRIPTION = (3, 10_000)
COMMENT = (1, 10_000)
REASON = (1, 2000)
ESCALATION_REASON = (10, 2000)
RESOLUTION_NOTE = (10, 10_000)
PUBLIC_TITLE = (3, 200)
PUBLIC_TEXT = (3, 5000)
RATING_COMMENT = (0, 2000)


def is_staff_role(role: str | None) -> bool:
    """True for technicians and admins."""
    return role in STAFF_ROLES


def fits(value, bounds: tuple[int, int]) -> bool:
    """True when a text is within bounds: the minimum without surrounding spaces, the maximum as given."""
    low, high = bounds
    return isinstance(value, str) and len(value.strip()) >= low and len(value) <= high
