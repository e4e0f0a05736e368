"""The company directory's rules: the ``directory:`` section of helpdesk.yml, and what a sync would change.

Reading LDAP is ``channels/directory.py``'s job and writing is ``actions/directory.py``'s; this module only decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticket_service.store.models import DirectoryEntry, Person

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
TLS_MODES = ("ldaps", "starttls", "none")
FIELDS = ("email", "name", "department", "site", "manager")  # what Guichet reads of each person
AD_DEFAULTS = {"email": "mail", "name": "displayName", "department": "department",
               "site": "physicalDeliveryOfficeName", "manager": "manager"}
ACCOUNTDISABLE = 0x2  # Active Directory's userAccountControl bit « account disabled »
MANAGER = "manager"  # in a catalogue item's approvers: the requester's manager, from the directory


@dataclass(frozen=True)
class DirectoryConfig:
    """Where the directory is, how Guichet reads it, and how a disabled account shows there."""

    url: str
    bind_dn: str
    password_env: str  # the environment variable holding the bind password (never in helpdesk.yml)
    base_dn: str
    filter: str = "(&(objectClass=user)(mail=*))"
    attributes: dict[str, str] = field(default_factory=lambda: dict(AD_DEFAULTS))
    tls: str = "starttls"
    ca_file: str | None = None
    # How a disabled account shows: AD's userAccountControl bit (default), an attribute and its values, or a filter.
    disabled_attribute: str = "userAccountControl"
    disabled_values: tuple[str, ...] = ()  # empty with userAccountControl: the ACCOUNTDISABLE bit
    disabled_filter: str | None = None
    login_attribute: str = "mail"  # what a person types as their login, looked up to find their entry
    max_disable_ratio: float = 0.1
    page_size: int = 500

    def read_attributes(self) -> list[str]:
        """Return the attributes a sync asks the directory for."""
        wanted = set(self.attributes.values())
        if self.disabled_filter is None:
            wanted.add(self.disabled_attribute)
        return sorted(wanted)


@dataclass(frozen=True)
class Record:
    """One person as the directory tells it (DN lowercase, e-mail lowercase)."""

    dn: str
    email: str
    name: str
    department: str | None
    site: str | None
    manager_dn: str | None
    enabled: bool


def is_disabled(config: DirectoryConfig, values: Mapping[str, list]) -> bool:
    """True when an entry's attributes say the account is disabled (the filter case is decided by the search)."""
    raw = values.get(config.disabled_attribute) or []
    if not config.disabled_values:  # userAccountControl: the bit, whatever else is set
        try:
            return bool(int(str(raw[0])) & ACCOUNTDISABLE) if raw else False
        except ValueError:
            return False
    wanted = {v.lower() for v in config.disabled_values}
    return any(str(v).lower() in wanted for v in raw)


def read_directory(spec, fail: Callable[[str, str, str], None], environ: Mapping[str, str]) -> DirectoryConfig | None:
    """Validate ``directory:`` (absent: no directory); ``fail(key, problem, fix)`` raises."""
    example = ("write `directory: {url: ldaps://ad.exemple.fr, bind_dn: CN=svc-guichet,…, password_env: "
               "GUICHET_LDAP_PASSWORD, base_dn: OU=Personnel,DC=exemple,DC=fr}` (docs/annuaire.md).")
    if spec is None:
        return None
    if not isinstance(spec, dict):
        fail("directory", "must be a mapping", example)
    known = {"url", "bind_dn", "password_env", "base_dn", "filter", "attributes", "tls", "ca_file", "disabled",
             "login_attribute", "max_disable_ratio", "page_size"}
    unknown = sorted(set(spec) - known)
    if unknown:
        fail(f"directory.{unknown[0]}", "is not a directory setting", "use " + ", ".join(sorted(known)) + ".")
    for key in ("url", "bind_dn", "password_env", "base_dn"):
        if not isinstance(spec.get(key), str) or not spec[key].strip():
            fail(f"directory.{key}", "is missing", example)
    url = spec["url"].strip()
    if not re.match(r"^ldaps?://[^/\s]+/?$", url):
        fail("directory.url", f"is {url!r}", "write ldaps://host[:port] or ldap://host[:port] (nothing after it).")
    tls = spec.get("tls", "ldaps" if url.startswith("ldaps://") else "starttls")
    if tls not in TLS_MODES:
        fail("directory.tls", f"is {tls!r}", "set ldaps, starttls or none (none only for a test directory on loopback).")
    if (tls == "ldaps") != url.startswith("ldaps://"):
        fail("directory.tls", f"is {tls} with {url}", "use ldaps:// with `tls: ldaps`, ldap:// with starttls or none.")
    if not ENV_NAME.match(spec["password_env"]):
        fail("directory.password_env", f"is {spec['password_env']!r}",
             "name the environment variable holding the password (e.g. GUICHET_LDAP_PASSWORD), not the password.")
    if spec["password_env"] not in environ:
        fail("directory.password_env", f"names {spec['password_env']}, which is not set",
             f"export {spec['password_env']}=… in the service's environment (never in helpdesk.yml).")
    search = spec.get("filter", DirectoryConfig.filter)
    if not _looks_like_filter(search):
        fail("directory.filter", f"is {search!r}", "write an LDAP filter in parentheses, e.g. (&(objectClass=user)(mail=*)).")
    attributes = dict(AD_DEFAULTS)
    given = spec.get("attributes", {})
    if not isinstance(given, dict):
        fail("directory.attributes", "must be a mapping", "write `attributes: {email: mail, name: displayName, …}`.")
    for name, attribute in given.items():
        if name not in FIELDS:
            fail(f"directory.attributes.{name}", "is not a field Guichet reads", "map " + ", ".join(FIELDS) + ".")
        if not isinstance(attribute, str) or not re.match(r"^[A-Za-z][A-Za-z0-9-]*$", attribute):
            fail(f"directory.attributes.{name}", f"is {attribute!r}", "name an LDAP attribute, e.g. mail.")
        attributes[name] = attribute
    disabled = _disabled(spec.get("disabled"), fail)
    ratio = spec.get("max_disable_ratio", 0.1)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
        fail("directory.max_disable_ratio", f"is {ratio!r}",
             "set a share between 0 and 1 (0.1: a run disabling more than 10 % of the synced accounts stops).")
    login = spec.get("login_attribute", "mail")
    if not isinstance(login, str) or not re.match(r"^[A-Za-z][A-Za-z0-9-]*$", login):
        fail("directory.login_attribute", f"is {login!r}", "name the attribute people sign in with: mail, "
             "userPrincipalName, sAMAccountName or uid.")
    page = spec.get("page_size", 500)
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= 5000:
        fail("directory.page_size", f"is {page!r}", "set a whole number between 1 and 5000 (AD answers ≤ 1000 a page).")
    ca_file = spec.get("ca_file")
    if ca_file is not None and (not isinstance(ca_file, str) or tls == "none"):
        fail("directory.ca_file", f"is {ca_file!r} with tls {tls}", "give the CA file's path, with tls ldaps or starttls.")
    return DirectoryConfig(url=url, bind_dn=spec["bind_dn"].strip(), password_env=spec["password_env"],
                           base_dn=spec["base_dn"].strip(), filter=search, attributes=attributes, tls=tls,
                           ca_file=ca_file, login_attribute=login, max_disable_ratio=float(ratio), page_size=page,
                           **disabled)


def _disabled(spec, fail) -> dict:
    """Read ``directory.disabled``: absent (AD's bit), {attribute: …, values: […]} or {filter: (…)}."""
    fix = ("leave it out for Active Directory (userAccountControl), or write `disabled: {attribute: employeeType, "
           "values: [parti]}` or `disabled: {filter: \"(pwdAccountLockedTime=*)\"}` for OpenLDAP.")
    if spec is None:
        return {}
    if not isinstance(spec, dict) or not spec or set(spec) - {"attribute", "values", "filter"}:
        fail("directory.disabled", "is not understood", fix)
    if "filter" in spec:
        if set(spec) != {"filter"} or not _looks_like_filter(spec["filter"]):
            fail("directory.disabled.filter", f"is {spec.get('filter')!r}", fix)
        return {"disabled_filter": spec["filter"]}
    attribute, values = spec.get("attribute"), spec.get("values", [])
    if not isinstance(attribute, str) or not re.match(r"^[A-Za-z][A-Za-z0-9-]*$", attribute):
        fail("directory.disabled.attribute", f"is {attribute!r}", fix)
    if not isinstance(values, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
        fail("directory.disabled.values", f"is {values!r}", fix)
    if not values and attribute.lower() != "useraccountcontrol":
        fail("directory.disabled.values", "is empty", "list the values that mean « disabled », e.g. [TRUE].")
    return {"disabled_attribute": attribute, "disabled_values": tuple(str(v) for v in values)}


def _looks_like_filter(text) -> bool:
    """A filter is parenthesised and balanced (the directory checks the rest and says so at the first sync)."""
    if not isinstance(text, str) or not text.startswith("(") or not text.endswith(")"):
        return False
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


# --- What a sync changes ---------------------------------------------------------------------------------------


@dataclass
class Change:
    """One person's change: created, updated (which fields), disabled or enabled again."""

    kind: str  # created | updated | disabled | enabled
    email: str
    dn: str
    fields: dict[str, tuple] = field(default_factory=dict)  # field → (old, new)


@dataclass
class Plan:
    """What a sync would do, and whether the safety brake stops it."""

    changes: list[Change]
    synced: int  # accounts enabled through the directory before this run
    ratio: float
    skipped: list[str] = field(default_factory=list)  # records set aside, with the reason

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def braked(self) -> bool:
        """True when the run would disable more than ``ratio`` of the synced accounts (then it writes nothing)."""
        return self.synced > 0 and len(self.of("disabled")) > self.ratio * self.synced

    def summary(self) -> str:
        counts = ", ".join(f"{len(self.of(k))} {k}" for k in ("created", "updated", "disabled", "enabled"))
        return f"{counts} (of {self.synced} synced accounts)"


def manager_of(db: Session, person_id: int) -> Person | None:
    """Return a person's active manager as the directory names them, or None (not synced, none named, disabled)."""
    manager_id = db.scalar(select(DirectoryEntry.manager_id).where(DirectoryEntry.person_id == person_id))
    manager = db.get(Person, manager_id) if manager_id is not None else None
    return manager if manager is not None and manager.active else None
