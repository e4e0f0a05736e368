"""What a ticket accepts as input, for every door that writes one (the API and the no-JS form)."""

from __future__ import annotations

from ticket_service.domain.vocabulary import DESCRIPTION, EMPLOYEE_TYPES, TITLE
from ticket_service.http.validation import Field
from ticket_service.runtime import get_ctx


def policy_choices(name):
    """Return the choices of a helpdesk.yml section, read when the request is checked."""
    return lambda: list(getattr(get_ctx().policies, name))


def create_fields(staff: bool) -> dict[str, Field]:
    """Writable fields on create: an allow-list per role (anything else is 400)."""
    types = EMPLOYEE_TYPES + (("problem",) if staff else ())
    fields = {
        "title": Field("str", required=True, min_len=TITLE[0], max_len=TITLE[1]),
        "description": Field("str", required=True, min_len=DESCRIPTION[0], max_len=DESCRIPTION[1]),
        "type": Field("enum", choices=types),
        "category": Field("enum", choices=policy_choices("categories"), nullable=True),
        "impact": Field("enum", choices=policy_choices("impact")),
        "urgency": Field("enum", choices=policy_choices("urgency")),
        "catalogue_item": Field("enum", choices=lambda: list(get_ctx().policies.catalogue), nullable=True,
                                description="The catalogue item asked for (service and access requests)."),
        "item_fields": Field("answers", max_len=10_000, nullable=True,
                             description="Answers to the item's fields (field id → value), checked against its specs."),
        "help_session_id": Field("str", min_len=1, max_len=64, nullable=True),
    }
    if staff:
        fields["requester_id"] = Field("int", minimum=1, description="Create on behalf of someone (technicians).")
    return fields


UPDATE_FIELDS = {
    "title": Field("str", min_len=TITLE[0], max_len=TITLE[1]),
    "description": Field("str", min_len=DESCRIPTION[0], max_len=DESCRIPTION[1]),
    "category": Field("enum", choices=policy_choices("categories"), nullable=True),
    "impact": Field("enum", choices=policy_choices("impact")),
    "urgency": Field("enum", choices=policy_choices("urgency")),
    "assignee_id": Field("int", minimum=1, nullable=True),
    "group": Field("enum", choices=policy_choices("groups"), description="Another group of the same level."),
}
