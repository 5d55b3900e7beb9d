"""E-mailed receipts over SMTP. Without SMTP_HOST nothing is sent and nothing fails."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import Flask, render_template

log = logging.getLogger(__name__)


def send_receipt(app: Flask, entry, *, lang: str = "vi") -> bool:
    """Send the receipt to the account that submitted the entry. True when sent."""
    host = app.config.get("SMTP_HOST")
    if not host or entry.owner is None:
        return False
    msg = EmailMessage()
    msg["From"] = app.config.get("SMTP_SENDER") or "no-reply@localhost"
    msg["To"] = entry.owner.email
    msg["Subject"] = render_template("entries/receipt_subject.txt", entry=entry).strip()
    msg.set_content(render_template("entries/receipt_email.txt", entry=entry))
    try:
        with smtplib.SMTP(host, int(app.config.get("SMTP_PORT") or 25), timeout=10) as smtp:
            if app.config.get("SMTP_USER"):
                smtp.starttls()
                smtp.login(app.config["SMTP_USER"], app.config.get("SMTP_PASSWORD") or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as e:
        # The entry is stored and the receipt is on screen; a mail failure must not undo that.
        log.warning("receipt e-mail for %s not sent: %s", entry.receipt_no, e)
        return False
    return True
