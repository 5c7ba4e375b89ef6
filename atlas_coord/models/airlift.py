"""A state's airlift: the government, military or police aircraft that can move its units."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from atlas_coord.domain.choices import AirliftKind
from atlas_coord.domain.geo import GeoPoint

from .base import Base, enum_check
from .directory import State


class AirliftAsset(Base):
    """One aircraft type of one operator at one base, and the states whose units it may carry.

    ``partners`` lists the other states whose units it may carry (ATLAS partners lend airlift);
    a row is either sourced (``source_url``) or flagged ``assumption`` with its reason in
    ``source_note``. ``mobilisation_assumed`` and ``partners_assumed`` say that the mobilisation
    time, or the lending to the partners, is not from a source.
    """

    __tablename__ = "airlift_asset"
    __table_args__ = (
        enum_check("kind", AirliftKind, "kind"),
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="base_coordinates"),
        sa.CheckConstraint("base_icao IS NULL OR length(base_icao) = 4", name="base_icao_length"),
        sa.CheckConstraint("aircraft_count > 0", name="aircraft_count_positive"),
        sa.CheckConstraint("seats > 0", name="seats_positive"),
        sa.CheckConstraint("mobilisation_min >= 0", name="mobilisation_non_negative"),
        sa.CheckConstraint("source_url IS NOT NULL OR assumption", name="sourced_or_assumed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    state_code: Mapped[str] = mapped_column(sa.ForeignKey("state.code"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    aircraft_type: Mapped[str] = mapped_column(sa.String(120))
    operator: Mapped[str] = mapped_column(sa.String(200))
    base_name: Mapped[str] = mapped_column(sa.String(120))
    base_icao: Mapped[str | None] = mapped_column(sa.String(4))
    lat: Mapped[float]
    lon: Mapped[float]
    aircraft_count: Mapped[int] = mapped_column(default=1)
    seats: Mapped[int]
    mobilisation_min: Mapped[int]
    mobilisation_assumed: Mapped[bool] = mapped_column(default=True)
    availability: Mapped[str] = mapped_column(sa.String(500))
    partners: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    partners_assumed: Mapped[bool] = mapped_column(default=True)
    source_url: Mapped[str | None] = mapped_column(sa.String(300))
    source_note: Mapped[str | None] = mapped_column(sa.Text)
    assumption: Mapped[bool] = mapped_column(default=False)

    state: Mapped[State] = relationship()

    @property
    def base(self) -> GeoPoint:
        """Where the aircraft are based."""
        return GeoPoint(self.lat, self.lon)
