"""A sandboxed mail system on loopback: IMAP, POP3, SMTP, DNS and autoconfig with TLS."""
