"""Reading a page as plain rows instead of ORM objects: a list page or a request's page that
loaded its rows as objects spent most of its CPU building and tracking them (issue #18,
docs/performance.md). A page's child rows (a unit's stations, a request's answers) are read in one
statement and grouped by their parent; a row joined to another (a request and its crisis) is read
with the other's columns prefixed and split again."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


class ChildRows:
    """Child rows of a kind, read for a page of parents in one statement. Built once (at import):
    the statement, with the parents' ids as one expanding parameter, is then the same object on
    every call, so SQLAlchemy neither builds it again nor walks it for its cache key (about a
    tenth of the servers' CPU under load went to building statements and their keys)."""

    def __init__(self, parent_key: Any, columns: Sequence[Any], order_by: Any) -> None:
        self.statement = (sa.select(parent_key.label("parent_id"), *columns)
                          .where(parent_key.in_(sa.bindparam("parent_ids", expanding=True))).order_by(order_by))

    def by_parent(self, session: Session, parent_ids: Sequence[int]) -> dict[int, list[Any]]:
        """The rows of the parents ``parent_ids``, in order, as a list per parent id (every parent
        id present, an empty list when it has none)."""
        grouped: dict[int, list[Any]] = {parent_id: [] for parent_id in parent_ids}
        if grouped:
            for row in session.execute(self.statement, {"parent_ids": list(grouped)}):
                grouped[row.parent_id].append(row)
        return grouped


def labelled_columns(model: type, prefix: str = "", *, only: Collection[str] | None = None,
                     leave_out: Collection[str] = ()) -> list[Any]:
    """The model's mapped table columns (``only`` these, or all but ``leave_out``), each labelled
    with its attribute's name after ``prefix``: a row read with them has the names the ORM
    object's attributes have, so the one serialiser reads either."""
    return [attr.columns[0].label(prefix + attr.key) for attr in sa.inspect(model).column_attrs
            if isinstance(attr.columns[0], sa.Column) and attr.key not in leave_out
            and (only is None or attr.key in only)]


def split_prefixed(row: Mapping[str, Any], prefix: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A joined row's (own columns, the joined row's columns with ``prefix`` removed)."""
    own: dict[str, Any] = {}
    joined: dict[str, Any] = {}
    for key, value in row.items():
        if key.startswith(prefix):
            joined[key[len(prefix):]] = value
        else:
            own[key] = value
    return own, joined
