"""The files ``guichet init`` writes for a company: its helpdesk.yml and mkdocs.yml (from the shipped ones, with
their comments), its instance config, and its starting KB."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
LEVELS = ("N1", "N2", "N3")
GROUP_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,49}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CompanyError(ValueError):
    """An answer that cannot make a valid install; the message names the option and the fix."""


@dataclass
class Group:
    """A support group as ``guichet init`` takes it: ``id:LEVEL:Name`` (``provider`` when it is a contractor)."""

    id: str
    level: str
    name: str
    provider: bool = False
    members: list[str] = field(default_factory=list)


@dataclass
class Company:
    """Everything ``guichet init`` asks for."""

    name: str
    domain: str
    sites: list[str]
    groups: list[Group]
    admin_email: str
    admin_name: str
    smtp: dict[str, str | int | None]
    database_url: str | None = None


def parse_group(spec: str, provider: bool) -> Group:
    """Read ``id:LEVEL:Name`` (as given to --group / --provider-group)."""
    parts = spec.split(":", 2)
    if len(parts) != 3 or not GROUP_ID.match(parts[0]) or parts[1].upper() not in LEVELS or not parts[2].strip():
        option = "--provider-group" if provider else "--group"
        raise CompanyError(f"{option} {spec!r}: write id:LEVEL:Name, e.g. support-n1:N1:Support de proximité "
                           "(id in lower case with dashes, LEVEL one of N1, N2, N3)")
    return Group(parts[0], parts[1].upper(), parts[2].strip(), provider)


def check(company: Company) -> None:
    """Refuse answers that would not make a working helpdesk, naming the option."""
    if not company.name.strip():
        raise CompanyError("--name: give the company's name")
    if not re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)+$", company.domain.lower()):
        raise CompanyError(f"--domain {company.domain!r}: give the e-mail domain, e.g. exemple.fr")
    if not EMAIL.match(company.admin_email):
        raise CompanyError(f"--admin-email {company.admin_email!r}: give the first admin's e-mail address")
    if not company.groups:
        raise CompanyError("--group: name at least one support group, e.g. --group support-n1:N1:Support")
    missing = [level for level in LEVELS if not any(g.level == level for g in company.groups)]
    if missing:
        raise CompanyError(f"--group: escalation goes N1 → N2 → N3, so each level needs a group; none at "
                           f"{', '.join(missing)} (a provider's group counts: --provider-group id:N3:Name)")
    ids = [g.id for g in company.groups]
    if len(set(ids)) != len(ids):
        raise CompanyError(f"--group: group ids must differ ({', '.join(ids)})")
    for group in company.groups:
        if not group.members:
            raise CompanyError(f"--member: group {group.id} has no member; add --member {group.id}=EMAIL")
        for email in group.members:
            if not EMAIL.match(email):
                raise CompanyError(f"--member {group.id}={email}: not an e-mail address")


def _yaml_text(value: str) -> str:
    """Quote a text for YAML (double quotes, escaped), whatever it holds."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _top_block(text: str, key: str) -> tuple[int, int]:
    """Return the [start, end) offsets of a top-level key's block in a YAML text (end: the next top-level line)."""
    start = re.search(rf"^{key}:.*$", text, re.M)
    if start is None:
        raise CompanyError(f"the shipped file has no `{key}:` section")
    following = re.search(r"^(?:[A-Za-z_#])", text[start.end() + 1:], re.M)
    return start.start(), start.end() + 1 + (following.start() if following else len(text) - start.end() - 1)


def helpdesk_yml(company: Company, template: str) -> str:
    """Return the company's helpdesk.yml: the shipped file with its name, groups, approvers and sites replaced."""
    sites = ", ".join(_yaml_text(s) for s in company.sites)
    template = re.sub(r"^  (email_domain|sites): .*\n", "", template, flags=re.M)  # the demo's, written anew below
    text = re.sub(r"^(  name: ).*$", lambda m: (m.group(1) + _yaml_text(company.name) + f"\n  email_domain: "
                                                f"{company.domain}\n  sites: [{sites}]"),
                  template, count=1, flags=re.M)
    lines = ["groups:"]
    for group in company.groups:
        lines += [f"  {group.id}:", f"    name: {_yaml_text(group.name)}", f"    level: {group.level}",
                  f"    members: [{', '.join(group.members)}]"]
        if group.provider:
            lines += ["    provider: true", "    requester_details: [name, site]"]
    start, end = _top_block(text, "groups")
    text = text[:start] + "\n".join(lines) + "\n" + text[end:]
    first = next(g.id for g in company.groups if g.level == "N1")
    text = re.sub(r"^default_group: .*$", f"default_group: {first}", text, count=1, flags=re.M)
    # The demo's approvers are demo people: the first admin decides until the catalogue is reviewed.
    text = re.sub(r"^(\s+approvers: )\[.*\]$", lambda m: f"{m.group(1)}[{company.admin_email}]", text, flags=re.M)
    text = re.sub(r"^(\s+quorum: )\d+", lambda m: f"{m.group(1)}1", text, flags=re.M)  # one approver for now
    text = text.replace("ferrand-associes.fr", company.domain)  # the demo's addresses in the comments' examples
    header = (f"# {company.name}: written by `guichet init` from the shipped helpdesk.yml; review every section, then\n"
              "# commit it (policies as code, reviewed by pull request).\n")
    return header + text


def mkdocs_yml(company: Company, template: str, folder: Path) -> str:
    """Return the site's mkdocs.yml with the company's name (and an absolute theme folder outside the project)."""
    text = template
    for key, value in (("site_name", f"Guichet — {company.name}"),
                       ("site_description", f"Le guichet unique de l'informatique de {company.name}"),
                       ("copyright", f"{company.name} — le guichet unique de l'informatique")):
        text = re.sub(rf"^{key}: .*$", lambda m, k=key, v=value: f"{k}: {_yaml_text(v)}", text, count=1, flags=re.M)
    if folder.resolve() != PROJECT:
        text = text.replace("custom_dir: site_plugins/overrides",
                            f"custom_dir: {PROJECT / 'site_plugins' / 'overrides'}")
    return text


def instance_config(company: Company, folder: Path) -> str:
    """Return instance/config.py: where the company's files are, its database and its mail settings."""
    values = {"HELPDESK_CONFIG": str(folder / "helpdesk.yml"), "KB_DIR": str(folder / "kb"),
              "SITE_DIR": str(folder / "build" / "site"), "INDEX_DIR": str(folder / "build" / "index"),
              "MANIFEST_PATH": str(folder / "build" / "manifest.json"), "DEMO_MODE": False}
    if company.database_url:
        values["DATABASE_URL"] = company.database_url
    for key, value in company.smtp.items():
        if value not in (None, ""):
            values[key] = value
    body = "".join(f"{key} = {value!r}\n" for key, value in values.items())
    return ("# Written by `guichet init`. Settings: ticket_service/settings.py; GUICHET_* variables override them.\n"
            "# Keep this file out of git: it may hold the SMTP password.\n" + body)


def starting_kb(folder: Path, keep_demo: bool) -> Path:
    """Put the KB in ``folder/kb``: the demo's articles, or only the generic French starter articles."""
    target = folder / "kb"
    source = PROJECT / ("kb" if keep_demo else "kb-starter")
    if target.resolve() == source.resolve():
        return target
    if target.exists():
        shutil.rmtree(target)  # the demo's articles, replaced by the starter ones (git keeps them)
    shutil.copytree(source, target)
    return target
