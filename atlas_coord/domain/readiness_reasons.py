"""The readiness reasons written by deployments, and what each viewer may read of them.

When a deployment commits or releases a unit, its readiness reason names the request and the
deployment ("committed to request 13 (deployment 6)"). That reference is need-to-know: only a
viewer who may read the request sees it; anyone else reads the neutral form ("committed to an
operation"). The text is generated and read back here and nowhere else, so the stored reason is
the structural reference (no extra column) and a viewer's copy is derived from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# A viewer's question: may I know of request N? (``services.visibility`` answers it.)
MaySee = Callable[[int], bool]

NEUTRAL_COMMITTED = "committed to an operation"
NEUTRAL_RETURNED = "back from an operation"

_GENERATED = re.compile(r"^(committed to|back from) request (\d+) \(deployment (\d+)\)$")
_NEUTRAL = {"committed to": NEUTRAL_COMMITTED, "back from": NEUTRAL_RETURNED}


def committed(request_id: int, deployment_id: int) -> str:
    """The reason of a unit committed by a deployment."""
    return f"committed to request {request_id} (deployment {deployment_id})"


def returned(request_id: int, deployment_id: int) -> str:
    """The reason of a unit released by its deployment."""
    return f"back from request {request_id} (deployment {deployment_id})"


def request_of(reason: str | None) -> int | None:
    """The request a generated reason names, or None for any other reason."""
    found = _GENERATED.match(reason or "")
    return int(found.group(2)) if found else None


def neutral(reason: str | None) -> str | None:
    """The reason without its request and deployment reference (other reasons unchanged)."""
    found = _GENERATED.match(reason or "")
    return _NEUTRAL[found.group(1)] if found else reason


def shown(reason: str | None, may_see: MaySee | None) -> str | None:
    """The reason as one viewer may read it: the full text only if ``may_see`` its request;
    without a viewer (a broadcast event) always the neutral form."""
    request_id = request_of(reason)
    if request_id is None or (may_see is not None and may_see(request_id)):
        return reason
    return neutral(reason)


def everyone(_request_id: int) -> bool:
    """A ``may_see`` for server-side records (the audit trail), which keep the full reason."""
    return True
