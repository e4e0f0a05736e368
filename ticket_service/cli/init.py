"""``guichet init``: from the demo to the company's own helpdesk, by questions or by flags (for scripts)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ticket_service.cli.company_files import (
    PROJECT, Company, CompanyError, check, helpdesk_yml, instance_config, mkdocs_yml, parse_group, starting_kb,
)


def _ask(value, text: str, interactive: bool, **kwargs):
    """Return ``value``, or ask for it when the command runs interactively."""
    if value not in (None, "", ()):
        return value
    if not interactive:
        raise click.UsageError(f"{text}: missing (give its option, or run `guichet init` without --no-input)")
    return click.prompt(text, **kwargs)


@click.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=PROJECT,
              show_default=True, help="Where helpdesk.yml, mkdocs.yml, kb/ and instance/ are written.")
@click.option("--name", help="The company's name, as shown to employees.")
@click.option("--domain", help="The company's e-mail domain (exemple.fr).")
@click.option("--site", "sites", multiple=True, help="A site (office); repeat for each.")
@click.option("--group", "groups", multiple=True, help="An in-house support group: id:LEVEL:Name (repeat).")
@click.option("--provider-group", "providers", multiple=True, help="A contractor's group: id:LEVEL:Name (repeat).")
@click.option("--member", "members", multiple=True, help="GROUP=EMAIL: a technician of a group (repeat).")
@click.option("--smtp-host")
@click.option("--smtp-port", type=int)
@click.option("--smtp-security", type=click.Choice(["none", "starttls", "tls"]))
@click.option("--smtp-username")
@click.option("--smtp-password", envvar="GUICHET_INIT_SMTP_PASSWORD", help="Or GUICHET_INIT_SMTP_PASSWORD.")
@click.option("--mail-from", help="Sender of the notifications (support@exemple.fr).")
@click.option("--database-url", help="PostgreSQL URL; default: SQLite in the instance folder.")
@click.option("--admin-email")
@click.option("--admin-name")
@click.option("--admin-password", envvar="GUICHET_INIT_ADMIN_PASSWORD", help="Or GUICHET_INIT_ADMIN_PASSWORD.")
@click.option("--demo-kb/--no-demo-kb", default=True, show_default=True,
              help="Keep the demo company's articles, or start from the generic French starter KB.")
@click.option("--force", is_flag=True, help="Overwrite helpdesk.yml, mkdocs.yml and instance/config.py.")
@click.option("--no-input", is_flag=True, help="Never ask: every missing answer is an error (scripts).")
def init(folder: Path, name, domain, sites, groups, providers, members, smtp_host, smtp_port, smtp_security,
         smtp_username, smtp_password, mail_from, database_url, admin_email, admin_name, admin_password, demo_kb,
         force, no_input):
    """Set up Guichet for your company: policies, site, instance config and the first admin account."""
    ask = not no_input
    folder = folder.resolve()
    if (folder / "instance" / "config.py").exists() and not force:
        raise click.ClickException(f"{folder / 'instance' / 'config.py'} exists: this folder is set up already "
                                   "(--force to overwrite)")
    if folder != PROJECT and not force:  # in the project, the demo's files are replaced (git keeps them)
        for path in (folder / "helpdesk.yml", folder / "mkdocs.yml"):
            if path.exists():
                raise click.ClickException(f"{path} exists: --force to overwrite it")
    name = _ask(name, "Company name", ask)
    domain = _ask(domain, "E-mail domain (exemple.fr)", ask)
    if not sites and ask:
        sites = tuple(s.strip() for s in click.prompt("Sites, comma-separated", default="").split(",") if s.strip())
    try:
        parsed = [parse_group(g, False) for g in groups] + [parse_group(g, True) for g in providers]
        if not parsed and ask:
            parsed = [parse_group(click.prompt("First support group (id:LEVEL:Name)",
                                               default="support-n1:N1:Support informatique"), False)]
        by_id = {g.id: g for g in parsed}
        for spec in members:
            group_id, _, email = spec.partition("=")
            if group_id not in by_id:
                raise CompanyError(f"--member {spec!r}: write GROUP=EMAIL with GROUP one of {', '.join(by_id)}")
            by_id[group_id].members.append(email.strip().lower())
        admin_email = _ask(admin_email, "First admin's e-mail", ask).strip().lower()
        admin_name = _ask(admin_name, "First admin's name", ask)
        smtp_host = smtp_host if smtp_host is not None or not ask else click.prompt(
            "SMTP server (empty: mails wait in the outbox)", default="", show_default=False)
        company = Company(name=name, domain=domain.strip().lower(), sites=list(sites), groups=parsed,
                          admin_email=admin_email, admin_name=admin_name, database_url=database_url,
                          smtp={"SMTP_HOST": smtp_host or None, "SMTP_PORT": smtp_port,
                                "SMTP_SECURITY": smtp_security, "SMTP_USERNAME": smtp_username,
                                "SMTP_PASSWORD": smtp_password,
                                "MAIL_FROM": mail_from or f"support@{domain.strip().lower()}"})
        check(company)
    except CompanyError as exc:
        raise click.UsageError(str(exc)) from None
    password = _ask(admin_password, "First admin's password", ask, hide_input=True, confirmation_prompt=True)
    mask = os.umask(0o077)  # the database, the secret and the config are the service user's alone
    try:
        _write(company, folder, demo_kb)
        _first_accounts(company, folder, password)
    finally:
        os.umask(mask)
    click.echo(f"""
Guichet is set up for {company.name} in {folder}.
Next:
  1. Review {folder / 'helpdesk.yml'} (categories, catalogue and its approvers, SLA) and commit it.
  2. Build the site:   cd {folder} && {PROJECT / '.venv/bin/mkdocs'} build --strict
  3. Check:            GUICHET_INSTANCE_PATH={folder / 'instance'} guichet doctor
  4. Serve:            GUICHET_INSTANCE_PATH={folder / 'instance'} guichet serve
  5. Add employees:    guichet users add EMAIL --name "Prénom Nom"   (or sync the directory)""")


def _write(company: Company, folder: Path, demo_kb: bool) -> None:
    """Write the files, then validate the new helpdesk.yml like a start-up would (and undo on failure)."""
    from ticket_service.domain.policies import PolicyError, load_policies

    folder.mkdir(parents=True, exist_ok=True)
    policies = folder / "helpdesk.yml"
    template = (PROJECT / "helpdesk.yml").read_text(encoding="utf-8")
    previous = policies.read_text(encoding="utf-8") if policies.exists() else None
    policies.write_text(helpdesk_yml(company, template), encoding="utf-8")
    try:
        load_policies(policies)
    except PolicyError as exc:
        if previous is None:
            policies.unlink()
        else:
            policies.write_text(previous, encoding="utf-8")
        raise click.ClickException(f"the written helpdesk.yml is not valid, nothing kept: {exc}") from None
    site = (PROJECT / "mkdocs.yml").read_text(encoding="utf-8")
    (folder / "mkdocs.yml").write_text(mkdocs_yml(company, site, folder), encoding="utf-8")
    starting_kb(folder, demo_kb)
    instance = folder / "instance"
    instance.mkdir(mode=0o700, exist_ok=True)
    config = instance / "config.py"
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it may hold the SMTP password
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(instance_config(company, folder))


def _first_accounts(company: Company, folder: Path, password: str) -> None:
    """Migrate the company's database, then create the admin (with a password) and the technicians (without)."""
    from ticket_service import build_app
    from ticket_service.actions import people
    from ticket_service.auth.identity import hash_password
    from ticket_service.domain.errors import Conflict
    from ticket_service.runtime import get_database
    from ticket_service.store.db import upgrade

    os.environ["GUICHET_INSTANCE_PATH"] = str(folder / "instance")  # this process now works on the new instance
    app = build_app()
    database = get_database(app)
    try:
        upgrade(database)
        with app.app_context(), database.writer() as db:
            try:
                people.create_person(db, company.admin_email, company.admin_name, "admin", hash_password(password))
            except Conflict:
                click.echo(f"{company.admin_email} exists already: kept as it is.", err=True)
            for group in company.groups:
                for email in group.members:
                    if people.find_by_email(db, email) is None:
                        people.create_person(db, email, email.split("@")[0], "technician", None)
    finally:
        database.dispose()
