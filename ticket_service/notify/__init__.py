"""Mail out: an outbox subscriber turns domain events into notifications and sends them over SMTP."""
