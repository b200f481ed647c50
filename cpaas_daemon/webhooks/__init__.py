"""Signed, durable webhooks: subscriptions, the event outbox, delivery (docs/webhooks.md)."""
