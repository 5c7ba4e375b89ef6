"""Operational costs (Art. 4): who bears each cost, and the settlement between the States.

Art. 4 sets the default: unless the States concerned agree otherwise, the requesting State bears
the operational costs of the requested State's units, including transport and accommodation
(wording marked [M] in docs/domain.md). Imports only the standard library and the vocabularies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from .choices import CostBearer, CostCategory

__all__ = ['CostItem', 'CostTerms', 'cost_bearer', 'settlement_summary']


@dataclass(frozen=True)
class CostTerms:
    """Cost terms agreed for a request (Art. 4).

    Art. 4 sets the default: unless the States concerned agree otherwise, the requesting State
    bears the operational costs of the requested State's units, including transport and
    accommodation. ``overrides`` records what they agreed otherwise, per category.
    """

    default_bearer: CostBearer = CostBearer.REQUESTING
    overrides: Mapping[CostCategory, CostBearer] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, 'default_bearer', CostBearer(self.default_bearer))
        object.__setattr__(self, 'overrides', MappingProxyType(
            {CostCategory(k): CostBearer(v) for k, v in self.overrides.items()}
        ))


def cost_bearer(terms: CostTerms, category: CostCategory | str) -> CostBearer:
    """Return who bears ``category`` under ``terms``: the override if any, else the default (Art. 4)."""
    cat = CostCategory(category)
    return terms.overrides.get(cat, terms.default_bearer)


class CostItem(NamedTuple):
    """One operational cost of a sending State's unit, in integer minor units (cents).

    ``paid_by`` is the State that actually paid it. By default that is the sending State, whose
    unit incurred the cost. Use 'requesting' for, e.g., accommodation the host booked directly.
    """

    category: CostCategory | str
    currency: str
    amount_minor: int
    sending_state: str
    requesting_state: str
    paid_by: CostBearer | str = CostBearer.SENDING


def settlement_summary(items: Iterable[Iterable], terms: CostTerms) -> dict[str, dict]:
    """Sum cost items per currency and say who owes whom (Art. 4). All amounts are integer minor units.

    Each item is a :class:`CostItem` or a tuple ``(category, currency, amount_minor,
    sending_state, requesting_state[, paid_by])``. When the bearer is not the State that paid,
    the bearer owes the payer the amount. Currencies are never converted or mixed.

    :return: ``{currency: {'total': int, 'by_bearer': {'requesting': int, 'sending': int},
        'by_category': {category: int}, 'balances': {state: int}, 'transfers':
        [{'from': state, 'to': state, 'amount_minor': int}]}}``. In ``balances`` a positive
        number means the State is owed and a negative one that it owes; they sum to zero.
        ``transfers`` nets each pair of States and is sorted. Currencies and states are sorted too.
    :raise TypeError: if an amount is not an int (floats are refused, never rounded).
    :raise ValueError: for a negative amount, a malformed currency, identical States, or an
        unknown category or bearer.
    """
    per: dict[str, dict] = {}
    owed: dict[str, dict[tuple[str, str], int]] = {}
    for raw in items:
        item = CostItem(*raw)
        amount = item.amount_minor
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError(f'amount_minor must be an int of minor units, got {amount!r}')
        if amount < 0:
            raise ValueError(f'amount_minor must be >= 0, got {amount}')
        currency = str(item.currency).upper()
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise ValueError(f'currency must be an ISO 4217 code, got {item.currency!r}')
        if item.sending_state == item.requesting_state:
            raise ValueError(f'sending and requesting State are both {item.sending_state!r}')
        category = CostCategory(item.category)
        bearer = cost_bearer(terms, category)
        payer = CostBearer(item.paid_by)

        bucket = per.setdefault(currency, {
            'total': 0,
            'by_bearer': {CostBearer.REQUESTING.value: 0, CostBearer.SENDING.value: 0},
            'by_category': {},
            'balances': {},
        })
        bucket['total'] += amount
        bucket['by_bearer'][bearer.value] += amount
        bucket['by_category'][category.value] = bucket['by_category'].get(category.value, 0) + amount
        states = {CostBearer.SENDING: item.sending_state, CostBearer.REQUESTING: item.requesting_state}
        for state in states.values():
            bucket['balances'].setdefault(state, 0)
        if bearer != payer:
            debtor, creditor = states[bearer], states[payer]
            bucket['balances'][debtor] -= amount
            bucket['balances'][creditor] += amount
            pairs = owed.setdefault(currency, {})
            pairs[(debtor, creditor)] = pairs.get((debtor, creditor), 0) + amount

    summary = {}
    for currency in sorted(per):
        bucket = per[currency]
        pairs = owed.get(currency, {})
        transfers = []
        for a, b in sorted({tuple(sorted(p)) for p in pairs}):
            net = pairs.get((a, b), 0) - pairs.get((b, a), 0)
            if net > 0:
                transfers.append({'from': a, 'to': b, 'amount_minor': net})
            elif net < 0:
                transfers.append({'from': b, 'to': a, 'amount_minor': -net})
        summary[currency] = {
            'total': bucket['total'],
            'by_bearer': bucket['by_bearer'],
            'by_category': dict(sorted(bucket['by_category'].items())),
            'balances': dict(sorted(bucket['balances'].items())),
            'transfers': transfers,
        }
    return summary
