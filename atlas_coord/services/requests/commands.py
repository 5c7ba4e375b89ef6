"""The commands of the request use cases: validated input for crises, assistance requests,
answers, arrangements, deployments and costs.

The services take these models; the edge (``api/requests.py``) validates the body into them, so
the dependency runs edge -> service. They check shape, types and ranges; rules that need the
database (a capability exists, a unit belongs to the answering State) are checked by the services,
which name the offending field the same way (``requirements.1.code``, ``units.0``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from atlas_coord.domain.choices import (
    AssistanceKind,
    CapabilityLevel,
    CostBearer,
    CostCategory,
    CounterKind,
    CrisisType,
    LegalBasis,
    RequestStatus,
)
from atlas_coord.domain.markings import parse_marking

from ..inputs import (
    MAX_INT,
    MIN_LEVEL_MEANING,
    CapabilityCode,
    Code,
    CurrencyCode,
    CursorPage,
    Id,
    NotBoolean,
    Page,
    Point,
    ShortText,
    StateCode,
    Strict,
)
from ..places import SiteText

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
# A marking as typed (code, short EU form or national equivalent, any case), stored as its code;
# an unknown one is a 422 naming the field. The accreditation ceiling is the service's check.
Classification = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60),
                           AfterValidator(lambda text: parse_marking(text).value)]
Version = Id
UnitIds = Annotated[list[Annotated[StrictInt, Field(ge=1, le=MAX_INT)]], Field(min_length=1, max_length=20)]
Headcount = Annotated[StrictInt, Field(ge=1, le=5000)]
TransportMode = Literal["road", "air", "rail", "sea"]

# Clocks of the requesting and the answering side differ a little; a deadline a few seconds ago
# is still "in the past", but a crisis that "started" a minute from now is plausibly clock skew.
CLOCK_SKEW = timedelta(minutes=5)


def _now() -> datetime:
    return datetime.now(UTC)


def _unique(values: list, what: str) -> list:
    if len(set(values)) != len(values):
        raise ValueError(f"lists the same {what} twice")
    return values


class ExpectVersion(Strict):
    """Every change may name the version it was based on; a different current version is a 409."""

    expected_version: Version | None = Field(
        None, description="reject the change with 409 if the record changed since this version"
    )


# ---------------------------------------------------------------- crisis and request


class CrisisIn(Strict):
    """A crisis situation (Art. 2(b)); the owning State is the requesting State."""

    type: CrisisType
    site_query: SiteText | None = Field(
        None, description="the site as text instead of site: coordinates (50.9010, 4.4844 or 50°54′04″N 4°29′04″E), "
                          "an ICAO or IATA airport code (EBBR, BRU) or a place name (Lisbon); see GET /api/v1/places")
    site: Point | None = Field(None, validate_default=True, description="the site as WGS84 degrees; or give site_query")
    place_name: ShortText | None = Field(
        None, validate_default=True, description="defaults to the name site_query resolves to")
    started_at: AwareDatetime
    description: LongText
    exercise: StrictBool = Field(False, description="true for an exercise, false for an actual crisis")
    classification: Classification = Field(
        description="the owner's classification marking: UNCLASSIFIED, RESTREINT UE/EU RESTRICTED, ... or a national "
                    "equivalent (e.g. VS-NfD), stored as its EU code; above security.accreditation_ceiling is refused")

    @field_validator("site")
    @classmethod
    def _one_site(cls, value: Point | None, info: ValidationInfo) -> Point | None:
        if "site_query" not in info.data:
            return value  # site_query itself failed validation; that error is reported
        if (value is None) == (info.data["site_query"] is None):
            raise ValueError("give either site ({lat, lon}) or site_query (coordinates, an airport code or a place name)")
        return value

    @field_validator("place_name")
    @classmethod
    def _named(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("site") is not None:
            raise ValueError("name the place (or give site_query, whose resolved name is used)")
        return value

    @field_validator("started_at")
    @classmethod
    def _not_in_the_future(cls, value: datetime) -> datetime:
        if value > _now() + CLOCK_SKEW:
            raise ValueError("a crisis cannot start in the future")
        return value


class CrisisUpdate(Strict):
    """The owner may change the classification marking and the description."""

    classification: Classification | None = None
    description: LongText | None = None
    expected_version: Version | None = None


class RequirementIn(Strict):
    code: CapabilityCode
    quantity: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    min_level: CapabilityLevel = Field(CapabilityLevel.FULL, description=MIN_LEVEL_MEANING)


class RequestCreate(Strict):
    """An assistance request (Art. 3(1)); ``submit: true`` submits it at once, else it stays DRAFT."""

    requesting_state: StateCode | None = Field(
        None, description="defaults to the state of the caller's crisis centre or competent authority grant"
    )
    crisis: CrisisIn | None = None
    crisis_id: Id | None = Field(None, validate_default=True)
    kinds: Annotated[list[Code[AssistanceKind]], Field(min_length=1, max_length=4)]
    operational_necessity: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=4000)]
    requirements: Annotated[list[RequirementIn], Field(max_length=50)] = []
    needed_by: AwareDatetime
    duration_hours: Annotated[StrictInt, Field(ge=1, le=24 * 90)]
    address_all: StrictBool = Field(False, description="address every participating state except the requester")
    addressees: Annotated[list[StateCode], Field(max_length=60)] = Field([], validate_default=True)
    answer_deadline: AwareDatetime
    submit: StrictBool = False

    @field_validator("crisis_id")
    @classmethod
    def _one_crisis(cls, value: int | None, info: ValidationInfo) -> int | None:
        if "crisis" not in info.data:
            return value  # the crisis itself failed validation; that error is reported
        if (value is None) == (info.data["crisis"] is None):
            raise ValueError("give either crisis (a new one) or crisis_id (an existing one)")
        return value

    @field_validator("kinds")
    @classmethod
    def _kinds_consistent(cls, value: list[AssistanceKind]) -> list[AssistanceKind]:
        _unique(value, "kind")
        if AssistanceKind.ACTION_ARMED in value and AssistanceKind.ACTION_UNARMED in value:
            raise ValueError("ACTION_ARMED and ACTION_UNARMED exclude each other")
        return value

    @field_validator("addressees")
    @classmethod
    def _addressees_or_all(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("address_all") and value:
            raise ValueError("name addressed states or address every participating state, not both")
        if not info.data.get("address_all") and not value and "address_all" in info.data:
            raise ValueError("name at least one addressed state, or address every participating state")
        return _unique(value, "state")

    @field_validator("answer_deadline", "needed_by")
    @classmethod
    def _in_the_future(cls, value: datetime) -> datetime:
        if value <= _now():
            raise ValueError("must be in the future")
        return value


class RequestFilter(Page):
    status: Code[RequestStatus] | None = None


class RequestWithdraw(ExpectVersion):
    reason: Reason | None = None


class Empty(ExpectVersion):
    """No fields besides the optional expected version: send ``{}``."""


class AuditQuery(CursorPage):
    """The audit records after ``after_seq``, a page at a time (500 a page unless told)."""

    DEFAULT_SIZE = 500
    after_seq: Annotated[int, Field(ge=0, le=MAX_INT), NotBoolean] = 0


# ---------------------------------------------------------------- answers (Art. 3(1))


class AnswerAccept(ExpectVersion):
    """Accept, naming the units offered; each is alerted once the answer is recorded."""

    units: UnitIds

    @field_validator("units")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        return _unique(value, "unit")


class AnswerRefuse(ExpectVersion):
    reason: Reason


class CounterProposalIn(Strict):
    """Another kind of assistance (Art. 3(1)): what changes, the units that would provide it, and why."""

    kinds: Annotated[list[CounterKind], Field(min_length=1, max_length=4)]
    assistance_kinds: Annotated[list[Code[AssistanceKind]], Field(max_length=4)] = Field([], validate_default=True)
    units: UnitIds
    personnel: Headcount | None = Field(None, validate_default=True)
    arrival_at: AwareDatetime | None = Field(None, validate_default=True)
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=4000)]

    @field_validator("kinds")
    @classmethod
    def _distinct_kinds(cls, value: list[CounterKind]) -> list[CounterKind]:
        return _unique(value, "kind")

    @field_validator("units")
    @classmethod
    def _distinct_units(cls, value: list[int]) -> list[int]:
        return _unique(value, "unit")

    @field_validator("assistance_kinds")
    @classmethod
    def _assistance_kinds(cls, value: list[AssistanceKind], info: ValidationInfo) -> list[AssistanceKind]:
        wanted = CounterKind.OTHER_ASSISTANCE_KIND in info.data.get("kinds", [])
        if wanted and not value:
            raise ValueError("required when kinds includes other_assistance_kind")
        if value and not wanted:
            raise ValueError("applies only when kinds includes other_assistance_kind")
        return _unique(value, "kind")

    @field_validator("personnel")
    @classmethod
    def _personnel(cls, value: int | None, info: ValidationInfo) -> int | None:
        wanted = CounterKind.FEWER_PERSONNEL in info.data.get("kinds", [])
        if wanted and value is None:
            raise ValueError("required when kinds includes fewer_personnel")
        if value is not None and not wanted:
            raise ValueError("applies only when kinds includes fewer_personnel")
        return value

    @field_validator("arrival_at")
    @classmethod
    def _arrival(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        wanted = CounterKind.LATER_ARRIVAL in info.data.get("kinds", [])
        if wanted and value is None:
            raise ValueError("required when kinds includes later_arrival")
        if value is not None and not wanted:
            raise ValueError("applies only when kinds includes later_arrival")
        if value is not None and value <= _now():
            raise ValueError("must be in the future")
        return value


class AnswerCounter(ExpectVersion):
    counter: CounterProposalIn


class CounterDecision(ExpectVersion):
    reason: Reason | None = None


# ---------------------------------------------------------------- arrangements (Art. 1, Art. 4)


class ManifestItem(Strict):
    item: ShortText
    category: Literal["weapon", "ammunition", "equipment"]
    quantity: Annotated[StrictInt, Field(ge=1, le=1_000_000)]


class LiaisonOfficer(Strict):
    name: ShortText
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{5,30}$")] | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=200)] | None = None


class CostTermsIn(Strict):
    """Art. 4: by default the requesting State bears the operational costs; record what was agreed otherwise."""

    default_bearer: CostBearer = CostBearer.REQUESTING
    overrides: dict[Code[CostCategory], CostBearer] = {}
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class ArrangementIn(ExpectVersion):
    """The practical arrangements agreed between the requesting and the answering State (replaces them)."""

    legal_basis: Code[LegalBasis] = LegalBasis.DECISION_2008_617
    weapons_manifest: Annotated[list[ManifestItem], Field(max_length=200)] = []
    liaison_officer: LiaisonOfficer | None = None
    cost_terms: CostTermsIn = CostTermsIn()


# ---------------------------------------------------------------- deployments


class DeploymentAccept(ExpectVersion):
    headcount: Headcount | None = None
    transport_mode: TransportMode | None = None


class DeploymentMobilise(DeploymentAccept):
    pass


class DeploymentDecline(ExpectVersion):
    reason: Reason


class DeploymentDepart(ExpectVersion):
    eta: AwareDatetime = Field(description="expected arrival at the scene")
    transport_mode: TransportMode | None = None

    @field_validator("eta")
    @classmethod
    def _eta_ahead(cls, value: datetime) -> datetime:
        if value < _now() - CLOCK_SKEW:
            raise ValueError("must not be in the past")
        return value


class DeploymentArrive(ExpectVersion):
    on_scene_commander: ShortText = Field(description="the requesting State's on-scene commander (Art. 3(3))")


class DeploymentStandDown(ExpectVersion):
    reason: Reason | None = None


class DeploymentRecall(ExpectVersion):
    reason: Reason


class DeploymentExtend(ExpectVersion):
    until: AwareDatetime = Field(description="the new end of the deployment")
    reason: Reason | None = None

    @field_validator("until")
    @classmethod
    def _until_ahead(cls, value: datetime) -> datetime:
        if value <= _now():
            raise ValueError("must be in the future")
        return value


# ---------------------------------------------------------------- costs (Art. 4)


class CostItemIn(Strict):
    """One operational cost in integer minor units (cents); floats are refused, never rounded."""

    category: Code[CostCategory]
    currency: CurrencyCode = Field(description="ISO 4217, e.g. EUR (any case)")
    amount_minor: Annotated[StrictInt, Field(ge=0, le=10**12)]
    paid_by: CostBearer = Field(CostBearer.SENDING, description="who actually paid: 'sending' or 'requesting'")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
