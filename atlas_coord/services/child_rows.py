"""A page's child rows (a unit's stations, a request's answers) read as plain rows in one
statement, grouped by their parent: a list page that loaded them as ORM objects spent most of its
CPU building them (issue #18, docs/performance.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def rows_by_parent(session: Session, parent_key: Any, columns: Sequence[Any], parent_ids: Sequence[int],
                   order_by: Any) -> dict[int, list[Any]]:
    """``columns`` of the rows whose ``parent_key`` is one of ``parent_ids``, in ``order_by``, as a
    list per parent id (every parent id present, an empty list when it has none)."""
    grouped: dict[int, list[Any]] = {parent_id: [] for parent_id in parent_ids}
    if grouped:
        query = (sa.select(parent_key.label("parent_id"), *columns)
                 .where(parent_key.in_(list(grouped))).order_by(order_by))
        for row in session.execute(query):
            grouped[row.parent_id].append(row)
    return grouped
