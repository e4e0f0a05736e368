"""Company directory against a real slapd: sync (created, updated, manager), dry run, safety brake, disabled accounts
(sign-in, tokens, sessions, flagged requests), sign-in with the directory password, manager approvals, injection."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select

from ldap_peer import ADMIN_PASSWORD, SUFFIX, USER_PASSWORD, person, start_slapd
from ticket_service import create_app
from ticket_service.cli import main as guichet
from ticket_service.domain.clock import Clock
from ticket_service.jobs import run_now
from ticket_service.jobs.directory_sync import run_sync
from ticket_service.settings import DEFAULTS
from ticket_service.store.models import ApiToken, DirectoryEntry, DirectoryRun, Person, Ticket
from tshelpers import PASSWORD, ROOT, Api, Browser, app_config

ENV = "GUICHET_TEST_LDAP_PASSWORD"
PEOPLE = f"ou=people,{SUFFIX}"
NO_SCHEDULES = {name: 0 for name in DEFAULTS["JOB_INTERVALS"]}
MANAGER_ITEM = """  acces-manager:
    label: Accès validé par le responsable
    description: Un accès que seul le responsable du demandeur valide.
    category: comptes-acces
    type: access_request
    approvers: [manager]
    quorum: 1
"""


def dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    server = start_slapd(tmp_path_factory.mktemp("slapd"))
    yield server
    server.stop()


def helpdesk_with_directory(folder, url: str, extra: str = "") -> str:
    text = (ROOT / "helpdesk.yml").read_text(encoding="utf-8").replace("catalogue:\n", "catalogue:\n" + MANAGER_ITEM, 1)
    path = folder / "helpdesk.yml"
    path.write_text(text + f"""
directory:
  url: {url}
  tls: none  # the loopback test directory only
  bind_dn: cn=admin,{SUFFIX}
  password_env: {ENV}
  base_dn: {PEOPLE}
  filter: (objectClass=inetOrgPerson)
  attributes: {{site: l}}
  max_disable_ratio: 0.2
{extra}""", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def helpdesk(slapd, tmp_path_factory):
    return helpdesk_with_directory(tmp_path_factory.mktemp("directory-conf"), slapd.url)


@pytest.fixture(scope="module")
def app(db_url, tmp_path_factory, helpdesk):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV, ADMIN_PASSWORD)
        application = create_app(app_config(db_url, tmp_path_factory.mktemp("directory-app"), HELPDESK_CONFIG=helpdesk,
                                            JOB_INTERVALS=NO_SCHEDULES, PASSWORD_SIGN_IN="both",
                                            LOGIN_MAX_FAILURES=4, COOKIE_SECURE=False))
        yield application
    application.extensions["guichet_db"].dispose()


@pytest.fixture(autouse=True)
def empty_directory(app, slapd, monkeypatch):
    """Each test starts with an empty ou=people and no synced account (its people use their own uids)."""
    monkeypatch.setenv(ENV, ADMIN_PASSWORD)
    slapd.delete_subtree(PEOPLE)
    slapd.add(f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n")
    with app.extensions["guichet_db"].write() as db:
        db.execute(delete(DirectoryEntry))
        db.execute(delete(DirectoryRun))


def sync(app, **kw):
    """Run a sync that the safety brake must not stop."""
    result = run_sync(app, app.extensions["guichet_db"], Clock(), **kw)
    assert not result.braked, result.summary()
    return result


def people(app, *emails: str) -> dict[str, Person]:
    with app.extensions["guichet_db"].reader() as db:
        return {p.email: p for p in db.scalars(select(Person).where(Person.email.in_(emails)))}


def entry_of(app, email: str) -> DirectoryEntry | None:
    with app.extensions["guichet_db"].reader() as db:
        return db.scalar(select(DirectoryEntry).join(Person, Person.id == DirectoryEntry.person_id)
                         .where(Person.email == email))


def sign_in(app, email: str) -> Api:
    """Return an API client signed in with the directory password (CSRF token of the new session kept)."""
    client = Api(app)
    answer = client.post("/api/v1/session", json={"email": email, "password": USER_PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    client.csrf = answer.get_json()["csrf_token"]
    return client


def cli(app, db_url, helpdesk, *args):
    env = {"GUICHET_DATABASE_URL": db_url, "GUICHET_HELPDESK_CONFIG": helpdesk, "GUICHET_SECRET_KEY": "x",
           "GUICHET_SITE_DIR": app.config["SITE_DIR"], "GUICHET_ATTACHMENTS_DIR": app.config["ATTACHMENTS_DIR"],
           ENV: ADMIN_PASSWORD}
    return CliRunner().invoke(guichet, list(args), env=env, catch_exceptions=False)


def test_sync_creates_then_updates_people_with_department_site_and_manager(app, slapd):
    slapd.add(person("cr-boss", "Hélène Garnier", department="Direction", site="Lyon") + "\n"
              + person("cr-emp", "Paul Morel", department="Comptabilité", site="Grenoble", manager="cr-boss"))
    first = sync(app)
    assert sorted(c.email for c in first.of("created")) == ["cr-boss@ferrand.test", "cr-emp@ferrand.test"]
    found = people(app, "cr-boss@ferrand.test", "cr-emp@ferrand.test")
    emp, boss = found["cr-emp@ferrand.test"], found["cr-boss@ferrand.test"]
    assert (emp.name, emp.department, emp.site, emp.role, emp.password_hash) == (
        "Paul Morel", "Comptabilité", "Grenoble", "employee", None)
    assert entry_of(app, emp.email).manager_id == boss.id and entry_of(app, boss.email).manager_id is None
    assert sync(app).changes == []  # a second run finds nothing to do
    slapd.modify(f"dn: {dn('cr-emp')}\nchangetype: modify\nreplace: department\ndepartment: Paie\n-\n"
                 f"replace: l\nl: Lyon\n-\ndelete: manager\n")
    second = sync(app)
    assert [(c.kind, c.email) for c in second.changes] == [("updated", "cr-emp@ferrand.test")]
    assert second.changes[0].fields == {"department": ("Comptabilité", "Paie"), "site": ("Grenoble", "Lyon"),
                                        "manager": (dn("cr-boss"), None)}
    emp = people(app, emp.email)[emp.email]
    assert (emp.department, emp.site, entry_of(app, emp.email).manager_id) == ("Paie", "Lyon", None)


def test_dry_run_prints_the_changes_and_writes_nothing(app, slapd, db_url, helpdesk):
    slapd.add(person("dr-one", "Inès Faure", department="RH"))
    result = cli(app, db_url, helpdesk, "directory", "sync", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 would be created" in result.output and "dr-one@ferrand.test" in result.output
    assert "Dry run, nothing written" in result.output
    assert people(app, "dr-one@ferrand.test") == {}
    with app.extensions["guichet_db"].reader() as db:
        assert db.scalars(select(DirectoryRun)).all() == []
    applied = cli(app, db_url, helpdesk, "directory", "sync")
    assert applied.exit_code == 0 and "1 were created" in applied.output
    assert people(app, "dr-one@ferrand.test")["dr-one@ferrand.test"].department == "RH"


def test_the_safety_brake_stops_a_run_that_would_disable_too_many(app, slapd, db_url, helpdesk):
    slapd.add("\n".join(person(f"br-{i}", f"Agent {i}") for i in range(10)))
    assert len(sync(app).of("created")) == 10
    slapd.delete_subtree(dn("br-0"))
    slapd.delete_subtree(dn("br-1"))
    slapd.modify(f"dn: {dn('br-2')}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n")
    result = cli(app, db_url, helpdesk, "directory", "sync")  # 3 of 10 > max_disable_ratio 0.2
    assert result.exit_code == 2, result.output
    assert "STOPPED by the safety brake" in result.output and "3 would be disabled" in result.output
    assert all(p.active for p in people(app, *[f"br-{i}@ferrand.test" for i in range(10)]).values())
    with pytest.raises(RuntimeError, match="safety brake"):  # the job fails loudly too, writing nothing
        run_now(app, "directory.sync")
    assert all(p.active for p in people(app, *[f"br-{i}@ferrand.test" for i in range(10)]).values())
    slapd.add(person("br-0", "Agent 0"))  # back under the ratio: 2 of 10 go
    assert len(sync(app).of("disabled")) == 2
    found = people(app, "br-1@ferrand.test", "br-2@ferrand.test", "br-0@ferrand.test")
    assert [found[f"br-{i}@ferrand.test"].active for i in range(3)] == [True, False, False]


def test_sign_in_with_the_directory_password(app, slapd):
    slapd.add(person("bi-one", "Léa Roux"))
    sync(app)
    client = Api(app)
    good = client.post("/api/v1/session", json={"email": "bi-one@ferrand.test", "password": USER_PASSWORD})
    assert good.status_code == 200, good.get_json()
    assert good.get_json()["user"]["email"] == "bi-one@ferrand.test"
    assert people(app, "bi-one@ferrand.test")["bi-one@ferrand.test"].password_hash is None  # nothing stored
    for password in ("mauvais", ""):
        bad = Api(app).post("/api/v1/session", json={"email": "bi-one@ferrand.test", "password": password})
        assert bad.status_code in (401, 422) and bad.get_json()["error"]["code"] != "too_many_attempts"
    # An empty password would make an unauthenticated bind that « succeeds » (RFC 4513 §5.1.2): refused before it.
    from ticket_service.channels.directory import password_binds

    config = app.extensions["guichet_context"].policies.directory
    assert password_binds(config, dn("bi-one"), USER_PASSWORD) and not password_binds(config, dn("bi-one"), "")
    assert Api(app, "employee_a").role == "employee_a"  # local passwords still work (PASSWORD_SIGN_IN=both)


def test_failed_binds_count_in_the_sign_in_limiter(app, slapd):
    slapd.add(person("rl-one", "Hugo Blanc"))
    sync(app)
    codes = [Api(app).post("/api/v1/session", json={"email": "rl-one@ferrand.test", "password": f"faux-{i}"}).status_code
             for i in range(5)]
    assert codes == [401, 401, 401, 401, 429]  # LOGIN_MAX_FAILURES = 4
    right = Api(app).post("/api/v1/session", json={"email": "rl-one@ferrand.test", "password": USER_PASSWORD})
    assert right.status_code == 429  # locked for the window even with the right password


@pytest.mark.parametrize("login", ["*", "inj-one*", "*)(uid=*", "inj-one@ferrand.test)(|(mail=*",
                                   "\\2a", "inj-one@ferrand.test\x00"])
def test_ldap_injection_in_the_login_name_finds_no_one(app, slapd, login):
    """A-11/A-10 neighbour: filter metacharacters in the login are escaped (escape_filter_chars), never a wildcard."""
    from ticket_service.channels.directory import find_login_dn

    slapd.add(person("inj-one", "Zoé Perrin"))
    sync(app)
    config = app.extensions["guichet_context"].policies.directory
    assert find_login_dn(config, "inj-one@ferrand.test") == dn("inj-one")
    if "\x00" not in login:
        assert find_login_dn(config, login) is None
    answer = Api(app).post("/api/v1/session", json={"email": login, "password": USER_PASSWORD})
    assert answer.status_code in (400, 401, 422), answer.get_json()


def test_a_disabled_account_is_shut_out_everywhere_and_its_open_requests_are_flagged(app, slapd):
    from ticket_service.actions.people import issue_token
    from ticket_service.auth.identity import hash_token

    slapd.add("\n".join([person("ds-one", "Nora Lambert", department="Achats")]
                         + [person(f"ds-{i}", f"Collègue {i}") for i in range(5)]))  # 1 of 6 stays under the brake
    sync(app)
    session = sign_in(app, "ds-one@ferrand.test")
    created = session.post("/api/v1/tickets", json={"title": "Imprimante bloquée", "description": "Bourrage papier."})
    assert created.status_code == 201, created.get_json()
    ticket_id = created.get_json()["id"]
    with app.extensions["guichet_db"].writer() as db:
        issue_token(db, "ds-one@ferrand.test", hash_token("gct_test-ds-one"), "script")
    bearer = {"Authorization": "Bearer gct_test-ds-one"}
    assert app.test_client().get("/api/v1/tickets", headers=bearer).status_code == 200
    desk = Browser(app, "n1")
    assert "demandeur désactivé" not in desk.get(f"/desk/tickets/{ticket_id}").text

    slapd.modify(f"dn: {dn('ds-one')}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n")
    assert [c.kind for c in sync(app).changes] == ["disabled"]
    assert session.get("/api/v1/tickets").status_code == 401  # the open session ended
    assert app.test_client().get("/api/v1/tickets", headers=bearer).status_code == 401  # the token revoked
    again = Api(app).post("/api/v1/session", json={"email": "ds-one@ferrand.test", "password": USER_PASSWORD})
    assert again.status_code == 401  # no new sign-in, even though the directory would still accept a bind
    with app.extensions["guichet_db"].reader() as db:
        assert all(t.revoked for t in db.scalars(select(ApiToken).join(Person).where(Person.email == "ds-one@ferrand.test")))
    assert "demandeur désactivé" in desk.get(f"/desk/tickets/{ticket_id}").text
    queue = desk.get("/desk?queue=open&q=Imprimante").text
    row = next(line for line in queue.splitlines() if f"/desk/tickets/{ticket_id}\"" in line)
    assert "demandeur désactivé" in row


def test_the_requesters_manager_approves_an_item_whose_approvers_name_manager(app, slapd):
    slapd.add("\n".join([person("mg-boss", "Claire Vidal", department="Études"),
                         person("mg-emp", "Jules Henry", department="Études", manager="mg-boss"),
                         person("mg-peer", "Anne Colin", department="Études", manager="mg-boss"),
                         person("mg-alone", "Rémi Picard")]))
    sync(app)
    request = {"type": "access_request", "catalogue_item": "acces-manager", "title": "Accès au dossier Études",
               "description": "Pour le projet Villeurbanne."}
    emp = sign_in(app, "mg-emp@ferrand.test")
    created = emp.post("/api/v1/tickets", json=request)
    assert created.status_code == 201, created.get_json()
    ticket = created.get_json()
    assert ticket["status"] == "awaiting_approval"
    url = f"/api/v1/tickets/{ticket['id']}/approvals"
    peer, boss = sign_in(app, "mg-peer@ferrand.test"), sign_in(app, "mg-boss@ferrand.test")
    assert peer.get(f"/api/v1/tickets/{ticket['id']}").status_code == 404  # a colleague is not the manager
    assert peer.post(url, json={"decision": "approved"}).status_code == 404  # same answer as a missing id
    assert Api(app, "approver").post(url, json={"decision": "approved"}).status_code == 404  # not listed for this item
    assert boss.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200  # the manager, an employee by role
    assert [t["id"] for t in boss.get("/api/v1/tickets").get_json()["items"]] == [ticket["id"]]
    with app.extensions["guichet_db"].reader() as db:
        from ticket_service.domain.mail_audience import approvers_to_ask

        row = db.get(Ticket, ticket["id"])
        assert [p.email for p in approvers_to_ask(db, app.extensions["guichet_context"].policies, row)] == [
            "mg-boss@ferrand.test"]
    assert ticket["title"] in Browser_for(app, boss).get("/mes-demandes/a-valider").text
    assert "/mes-demandes/a-valider" in Browser_for(app, boss).get("/mes-demandes").text  # the menu shows it
    assert "/mes-demandes/a-valider" not in Browser_for(app, emp).get("/mes-demandes").text
    page = Browser_for(app, boss).get(f"/mes-demandes/{ticket['id']}")
    assert page.status_code == 200 and f"/mes-demandes/{ticket['id']}/decision" in page.text  # the decision form
    assert Browser_for(app, peer).get(f"/mes-demandes/{ticket['id']}").status_code == 404
    decided = boss.post(url, json={"decision": "approved", "comment": "D'accord"})
    assert decided.status_code == 201, decided.get_json()
    assert decided.get_json()["status"] == "new"
    own = boss.post("/api/v1/tickets", json=request)  # the boss has no manager in the directory: a clear refusal
    assert own.status_code == 422
    assert "responsable" in own.get_json()["error"]["message"]
    assert own.get_json()["error"]["fields"] == {"catalogue_item": "aucun responsable connu pour valider"}


def Browser_for(app, api: Api):
    """Return a page client sharing an API client's signed-in session cookie."""
    browser = Browser(app)
    browser.client = api.client
    return browser


def test_directory_settings_are_checked_with_the_key_and_the_fix(tmp_path, monkeypatch):
    from search import load_helpdesk_config
    from ticket_service.domain.policies import PolicyError, policies_from

    monkeypatch.setenv(ENV, "x")
    base = (ROOT / "helpdesk.yml").read_text(encoding="utf-8")
    cases = {
        "  url: http://ad.exemple.fr\n": "directory.url",
        "  url: ldaps://ad.exemple.fr\n  tls: starttls\n": "directory.tls",
        "  url: ldap://ad.exemple.fr\n  max_disable_ratio: 2\n": "directory.max_disable_ratio",
        "  url: ldap://ad.exemple.fr\n  filter: objectClass=user\n": "directory.filter",
        "  url: ldap://ad.exemple.fr\n  disabled: {attribute: nsAccountLock}\n": "directory.disabled.values",
        "  url: ldap://ad.exemple.fr\n  attributes: {phone: telephoneNumber}\n": "directory.attributes.phone",
        "  url: ldap://ad.exemple.fr\n  password_env: GUICHET_UNSET_FOR_TEST\n": "directory.password_env",
    }
    for body, key in cases.items():
        lines = {"bind_dn": "cn=svc,dc=x", "password_env": ENV, "base_dn": "dc=x"}
        text = "".join(f"  {k}: {v}\n" for k, v in lines.items() if f"  {k}:" not in body)
        path = tmp_path / "helpdesk.yml"
        path.write_text(base + "\ndirectory:\n" + body + text, encoding="utf-8")
        with pytest.raises(PolicyError, match=f"`{key}`.* — fix: "):
            policies_from(load_helpdesk_config(path))
    path.write_text(base.replace("catalogue:\n", "catalogue:\n" + MANAGER_ITEM, 1), encoding="utf-8")
    with pytest.raises(PolicyError, match="`catalogue.acces-manager.approvers` names `manager` but no directory"):
        policies_from(load_helpdesk_config(path))


def test_directory_passwords_without_a_directory_stop_the_start(tmp_path):
    from ticket_service.domain.policies import PolicyError

    for mode, problem in (("ldap", "no `directory:` section"), ("annuaire", "set local, ldap or both")):
        with pytest.raises(PolicyError, match=problem):
            create_app(app_config(f"sqlite:///{tmp_path / 'none.sqlite3'}", tmp_path, PASSWORD_SIGN_IN=mode,
                                  VERIFY_DATABASE=False))


def test_openldap_disabled_by_an_attribute_or_a_filter(app, slapd):
    """OpenLDAP has no userAccountControl: a configured attribute and values, or a filter, says who is disabled."""
    from dataclasses import replace

    from ticket_service.channels.directory import read_people

    slapd.add("\n".join([person("ol-on", "Marie Noël"),
                         person("ol-off", "Luc Noël").replace("userAccountControl: 512", "employeeType: parti")]))
    config = app.extensions["guichet_context"].policies.directory
    by_attribute = replace(config, disabled_attribute="employeeType", disabled_values=("PARTI",))
    by_filter = replace(config, disabled_filter="(employeeType=parti)")
    for variant in (by_attribute, by_filter):
        records, skipped = read_people(variant)
        assert {r.email: r.enabled for r in records} == {"ol-on@ferrand.test": True, "ol-off@ferrand.test": False}
        assert skipped == []


def test_an_unreachable_directory_is_an_error_that_says_where(app, db_url, helpdesk, tmp_path):
    from dataclasses import replace

    from ldap_peer import free_port
    from ticket_service.channels.directory import DirectoryError, read_people
    from ticket_service.http.errors import ApiError
    from ticket_service.auth.ldap_bind import directory_login

    config = replace(app.extensions["guichet_context"].policies.directory, url=f"ldap://127.0.0.1:{free_port()}")
    with pytest.raises(DirectoryError, match=f"{config.url}: bind as cn=admin"):
        read_people(config)
    with pytest.raises(ApiError) as refused:  # sign-in says the directory is down; it never lets anyone in
        directory_login(config, "x@ferrand.test", "y")
    assert refused.value.status == 503
    wrong = replace(app.extensions["guichet_context"].policies.directory, bind_dn=f"cn=nobody,{SUFFIX}")
    with pytest.raises(DirectoryError, match="bind as cn=nobody"):
        read_people(wrong)


def test_the_sign_in_page_takes_the_directory_password(app, slapd):
    slapd.add(person("pg-one", "Emma Girard"))
    sync(app)
    page = Browser(app)
    assert 'type="email" name="email"' in page.get("/connexion").text  # login_attribute: mail
    bad = page.submit("/connexion", {"email": "pg-one@ferrand.test", "password": "faux"})
    assert bad.status_code == 401 and "Adresse e-mail ou mot de passe incorrect." in bad.text
    good = page.submit("/connexion", {"email": "pg-one@ferrand.test", "password": USER_PASSWORD})
    assert good.status_code == 303
    assert "Emma Girard" in page.get("/mes-demandes").text


def test_ldap_only_sign_in_refuses_local_passwords_and_binds_once_per_attempt(app, slapd, monkeypatch):
    """PASSWORD_SIGN_IN=ldap: the directory's password only; a known and an unknown login each cost one bind (A-11)."""
    from ticket_service.auth import ldap_bind

    slapd.add(person("lo-one", "Yann Morin"))
    sync(app)
    monkeypatch.setitem(app.config, "PASSWORD_SIGN_IN", "ldap")
    binds = []
    real = ldap_bind.password_binds
    monkeypatch.setattr(ldap_bind, "password_binds", lambda *a: binds.append(a[1]) or real(*a))
    local = Api(app).post("/api/v1/session", json={"email": "claire.rousseau@ferrand-associes.fr", "password": PASSWORD})
    assert local.status_code == 401  # a local password is not checked in this mode
    unknown = Api(app).post("/api/v1/session", json={"email": "personne@ferrand.test", "password": "x"})
    known = Api(app).post("/api/v1/session", json={"email": "lo-one@ferrand.test", "password": "x"})
    assert unknown.status_code == known.status_code == 401 and unknown.get_json() == known.get_json()
    assert len(binds) == 3 and binds[2] == dn("lo-one")
    assert sign_in(app, "lo-one@ferrand.test")


def test_the_directory_never_disables_the_last_active_administrator(app, slapd):
    """As on /admin: a directory that drops every administrator still leaves one who can sign in and fix it."""
    admin = "nadia.chevalier@ferrand-associes.fr"  # the only admin of the test people
    slapd.add("\n".join([person("ad-boss", "Nadia Chevalier", mail=admin)]
                        + [person(f"ad-{i}", f"Agent {i}") for i in range(9)]))
    sync(app)
    assert entry_of(app, admin) is not None  # the local account is now kept by the directory
    slapd.modify(f"dn: {dn('ad-boss')}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n")
    result = sync(app)
    assert result.of("disabled") == [] and any("last active administrator" in r for r in result.skipped)
    found = people(app, admin)[admin]
    assert found.active and found.role == "admin" and found.password_hash  # role and local password untouched


def test_the_command_without_a_directory_section_says_how_to_add_one(app, db_url):
    result = cli(app, db_url, str(ROOT / "helpdesk.yml"), "directory", "sync", "--dry-run")
    assert result.exit_code == 1 and "no `directory:` section in helpdesk.yml (docs/annuaire.md)" in result.output
