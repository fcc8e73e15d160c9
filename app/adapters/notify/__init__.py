"""Senders of notifications: mail over SMTP, webhooks over HTTP."""
