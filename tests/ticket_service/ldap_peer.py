"""A real LDAP peer for the directory tests: Debian's slapd (mdb backend) in a temporary folder, on loopback.

It runs as the current user from a generated slapd.conf, holds a tiny company loaded with ldapadd, and knows the
Active Directory attributes Guichet reads (``userAccountControl``, ``department``) through a small extra schema.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

SLAPD = "/usr/sbin/slapd"
SUFFIX = "dc=ferrand,dc=test"
ADMIN_DN = f"cn=admin,{SUFFIX}"
ADMIN_PASSWORD = "secret-admin-ldap"
USER_PASSWORD = "motdepasse-annuaire"
SKIP = ("SKIPPED LDAP TESTS — Debian's slapd and ldap-utils are missing: run scripts/ensure-test-tools.sh "
        "(apt-get install slapd ldap-utils)")

# Active Directory's own OIDs for the two attributes, in an auxiliary class any entry may carry.
_AD_SCHEMA = """
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.141 NAME 'department'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.1.1 NAME 'guichetAdUser' AUXILIARY MAY ( userAccountControl $ department ) )
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def person(uid: str, name: str, *, department: str | None = None, site: str | None = None,
           manager: str | None = None, uac: int = 512, mail: str | None = None) -> str:
    """Return one person's LDIF entry under ou=people (uac 512: enabled, 514: disabled, as AD writes them)."""
    lines = [f"dn: uid={uid},ou=people,{SUFFIX}", "objectClass: inetOrgPerson", "objectClass: guichetAdUser",
             f"uid: {uid}", f"cn: {name}", f"sn: {name.split()[-1]}", f"displayName: {name}",
             f"mail: {mail or uid + '@ferrand.test'}", f"userPassword: {USER_PASSWORD}", f"userAccountControl: {uac}"]
    if department:
        lines.append(f"department: {department}")
    if site:
        lines.append(f"l: {site}")
    if manager:
        lines.append(f"manager: uid={manager},ou=people,{SUFFIX}")
    return "\n".join(lines) + "\n"


class Slapd:
    """One slapd process and its folder; ``add``/``modify`` change the directory with the ldap-utils tools."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Slapd":
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        (self.folder / "ad.schema").write_text(_AD_SCHEMA, encoding="utf-8")
        conf = self.folder / "slapd.conf"
        conf.write_text(f"""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {self.folder / 'ad.schema'}
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {self.folder / 'slapd.pid'}
database mdb
maxsize 10485760
suffix "{SUFFIX}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory {data}
access to attrs=userPassword by self =xw by anonymous auth by * none
access to * by * read
""", encoding="utf-8")
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(conf), "-h", self.url, "-d", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("slapd stopped: " + self.process.stderr.read().decode(errors="replace")[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("slapd did not listen within 15 s")
        self.add(f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: ferrand\no: Ferrand\n\n"
                 f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n")
        return self

    def _tool(self, tool: str, ldif: str, *extra: str) -> None:
        subprocess.run([tool, "-x", "-H", self.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD, *extra],
                       input=ldif.encode(), check=True, capture_output=True)

    def add(self, ldif: str) -> None:
        """Add entries (LDIF separated by blank lines)."""
        self._tool("ldapadd", ldif)

    def modify(self, ldif: str) -> None:
        """Apply an LDIF change record (changetype: modify)."""
        self._tool("ldapmodify", ldif)

    def delete_subtree(self, dn: str) -> None:
        subprocess.run(["ldapdelete", "-x", "-H", self.url, "-D", ADMIN_DN, "-w", ADMIN_PASSWORD, "-r", dn],
                       check=True, capture_output=True)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process.stderr.close()
            self.process = None


def start_slapd(folder: Path) -> Slapd:
    """Start a slapd, or skip loudly when Debian's tools are missing (never under CI=true)."""
    if not (os.access(SLAPD, os.X_OK) and shutil.which("ldapadd")):
        if os.environ.get("CI") == "true":
            pytest.fail(SKIP)
        pytest.skip(SKIP)
    return Slapd(folder).start()
