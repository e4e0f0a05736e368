"""Ways in other than the web: mail in (IMAP, Maildir); each hands what it reads to the same actions."""
