"""The bundled IMAP4rev1 server (RFC 3501 + CONDSTORE/QRESYNC, IDLE, MOVE, UIDPLUS...)."""
