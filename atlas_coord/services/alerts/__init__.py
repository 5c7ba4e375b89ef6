"""Out-of-band alerts to duty officers (issue 15): rules, raising and escalation, delivery over
the console, email and an SMS/voice gateway, acknowledgement."""

from .acks import ack_summary, acknowledge, acknowledge_by_link, mailbox, open_alerts_for
from .channels import DeliveryFailed, send_email, send_gateway
from .delivery import (
    IN_DATABASE,
    Claimed,
    channel_of,
    claim,
    deliver_in_database,
    due_delivery_ids,
    finish,
    prepare_external,
    skip_acknowledged,
)
from .raising import deadline_warnings, due_escalation_ids, escalate, ingest, raise_alert
from .rules import DEFAULT_RULES, LABELS, WATCHED_TYPES

__all__ = [
    "DEFAULT_RULES", "IN_DATABASE", "LABELS", "WATCHED_TYPES", "Claimed", "DeliveryFailed", "ack_summary",
    "acknowledge", "acknowledge_by_link", "channel_of", "claim", "deadline_warnings", "deliver_in_database",
    "due_delivery_ids", "due_escalation_ids", "escalate", "finish", "ingest", "mailbox", "open_alerts_for",
    "prepare_external", "raise_alert", "send_email", "send_gateway", "skip_acknowledged",
]
