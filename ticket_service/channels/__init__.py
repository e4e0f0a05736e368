"""Ways in other than the web: the company directory (LDAP / Active Directory)."""
