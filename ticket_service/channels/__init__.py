"""Ways in other than the web: monitoring alerts, mail in and the company directory (LDAP / Active Directory)."""
