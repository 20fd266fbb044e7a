"""The SMTP client every SMTP conversation uses (outbox, setup verification, doctor):
aiosmtplib's, with its failures placed at the stage they happened at.

Invariant: anything wrong with the greeting (a line that is not SMTP, an answer too long
to hold, as well as a reply other than 220) is raised as an SMTPConnectResponseError, so
the greeting is never taken for the EHLO or STARTTLS that follow it. aiosmtplib raises a
bare SMTPResponseException for an unreadable greeting, which is otherwise indistinguishable
from an unreadable EHLO or STARTTLS answer (and on a STARTTLS port was counted as a
security failure, never retried)."""

from __future__ import annotations

import aiosmtplib
from aiosmtplib import errors as smtp_errors

from tuimail.core import smtp_data


class Smtp(aiosmtplib.SMTP):
    """aiosmtplib.SMTP whose greeting failures are SMTPConnectResponseError, and whose
    DATA sends a big message a chunk at a time (smtp_data)."""

    async def data(self, message, /, *args, **kwargs):  # type: ignore[override]
        protocol = self.protocol
        if (
            args
            or kwargs
            or not isinstance(message, bytes)
            or len(message) <= smtp_data.CHUNK
            or protocol is None
            or not smtp_data.usable(protocol)
        ):
            return await super().data(message, *args, **kwargs)
        await self._ehlo_or_helo_if_needed()
        try:
            return await smtp_data.send_data(protocol, message, self.timeout)
        except (smtp_errors.SMTPServerDisconnected, smtp_errors.SMTPTimeoutError):
            self.close()
            raise

    def close(self) -> None:
        """aiosmtplib's, with the transport aborted rather than closed: closing a TLS
        transport first waits (up to asyncio's 30 s) for the server's close_notify, which
        a server that stopped answering never sends, so a connection given up on stayed
        open past the attempt (and with the event loop gone, until the process ended).
        After QUIT or a failure nothing more is owed to the server."""
        transport = self.transport
        if transport is not None and not transport.is_closing():
            transport.abort()
        super().close()

    async def _create_connection(self, *args, **kwargs):  # type: ignore[override]
        try:
            return await super()._create_connection(*args, **kwargs)
        except smtp_errors.SMTPConnectResponseError:
            raise
        except smtp_errors.SMTPResponseException as exc:  # not a reply: code -1
            raise smtp_errors.SMTPConnectResponseError(exc.code, exc.message) from exc
