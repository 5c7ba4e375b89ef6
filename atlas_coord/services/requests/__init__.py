"""Assistance requests (Art. 3), one module per use case:

- ``crises``: record, read and change a crisis situation;
- ``lifecycle``: raise, submit, withdraw, close a request, and recompute its status;
- ``answers``: accept, refuse, counter-propose, decide a counter-proposal, acknowledge;
- ``arrangements``: the practical arrangements with each answering State (Art. 1, Art. 4);
- ``escalation``: answers overdue (the scheduler's job);
- ``queries``: lists, one request, its ranking snapshot, audit trail and timeline;
- ``commands``: the validated input of all of these (and of deployments and costs).

Who may see a request is decided in ``services.visibility``, once.

Race safety: every status change is a compare-and-set (``services.transitions``), so of two
concurrent changes exactly one wins and the other gets 409 with the current status. Every change
under a request first locks the request row, then the answer or deployment, then the unit; audit
records and events (which take the chain lock) come last, once every row the transaction changes
is locked. Taking locks in that one order means concurrent changes queue up instead of deadlocking.

Callers write ``services.requests.submit_request(...)``: the public use cases are re-exported here.
"""

from .answers import accept, counter_propose, decide_counter, mark_seen, refuse
from .arrangements import get_arrangement, record_arrangement
from .crises import create_crisis, get_crisis, update_crisis
from .escalation import escalate_overdue_answers
from .lifecycle import close_request, raise_request, submit_request, withdraw_request
from .queries import get_request, list_requests, ranking_snapshot_of, request_audit, timeline

__all__ = [
    "accept",
    "close_request",
    "counter_propose",
    "create_crisis",
    "decide_counter",
    "escalate_overdue_answers",
    "get_arrangement",
    "get_crisis",
    "get_request",
    "list_requests",
    "mark_seen",
    "raise_request",
    "ranking_snapshot_of",
    "record_arrangement",
    "refuse",
    "request_audit",
    "submit_request",
    "timeline",
    "update_crisis",
    "withdraw_request",
]
