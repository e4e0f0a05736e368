"""Ways in other than the web: monitoring alerts (and, later, mail in and directory sync)."""
