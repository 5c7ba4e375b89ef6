"""Every vocabulary of atlas-coord, defined once (netbox's ``choices.py``).

Models, the policy table, the ranking, the services and the console's labels all take their
codes from here; no other module spells a status, role, readiness, level or kind as a string list.
Each enum's ``label()`` is the plain-language name the console shows; the code stays the wire value.
"""

from __future__ import annotations

from enum import StrEnum


class Choice(StrEnum):
    """A coded value with a plain-language label for the console (the code, humanised)."""

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @property
    def label(self) -> str:
        return self.value.replace('_', ' ').capitalize()


class RequestStatus(Choice):
    """Status of an assistance request (Art. 3(1)).

    PARTIALLY_MET and MET are worked out by the system from the units whose commanders have
    accepted (see :func:`request_fulfilment`). They are not decisions that anyone takes.
    """

    DRAFT = 'DRAFT'
    SUBMITTED = 'SUBMITTED'
    PARTIALLY_MET = 'PARTIALLY_MET'
    MET = 'MET'
    CLOSED = 'CLOSED'
    WITHDRAWN = 'WITHDRAWN'


class AnswerStatus(Choice):
    """One addressed State's answer to a request (Art. 3(1): accept, refuse or propose another
    kind of assistance).

    PENDING means the addressed State has received the request and not yet answered it.
    LAPSED means the request was withdrawn or closed before that State answered, or before the
    requester decided its counter-proposal: nothing is awaited from anyone any more.
    """

    PENDING = 'PENDING'
    ACCEPTED = 'ACCEPTED'
    REFUSED = 'REFUSED'
    COUNTER_PROPOSED = 'COUNTER_PROPOSED'
    COUNTER_ACCEPTED = 'COUNTER_ACCEPTED'
    COUNTER_REJECTED = 'COUNTER_REJECTED'
    LAPSED = 'LAPSED'


class DeploymentStatus(Choice):
    """Status of one unit deployed in answer to a request (Art. 3(2)-(3))."""

    ALERTED = 'ALERTED'
    ACCEPTED = 'ACCEPTED'
    DECLINED = 'DECLINED'
    MOBILISING = 'MOBILISING'
    EN_ROUTE = 'EN_ROUTE'
    ON_SCENE = 'ON_SCENE'
    STOOD_DOWN = 'STOOD_DOWN'
    RETURNED = 'RETURNED'
    RECALLED = 'RECALLED'


class ReadinessStatus(Choice):
    """A unit's readiness as shown on the board. COMMITTED while :func:`deployment_holds_unit`."""

    READY = 'READY'
    LIMITED = 'LIMITED'
    COMMITTED = 'COMMITTED'
    TRAINING = 'TRAINING'
    UNAVAILABLE = 'UNAVAILABLE'


class AxisLevel(Choice):
    """Level of one readiness axis (e.g. personnel, equipment, transport)."""

    READY = 'ready'
    PARTIAL = 'partial'
    NONE = 'none'


class CapabilityLevel(Choice):
    """How fully a unit holds a capability. FULL satisfies a LIMITED minimum, not the reverse."""

    FULL = 'full'
    LIMITED = 'limited'


class Role(Choice):
    """A user's role. The policy layer maps a role plus its scope to a :class:`Party`."""

    ADMIN = 'admin'
    CRISIS_CENTRE = 'crisis_centre'
    COMPETENT_AUTHORITY = 'competent_authority'  # Art. 2: may make requests and authorise deployments
    UNIT_COMMANDER = 'unit_commander'
    TRAINING_PLANNER = 'training_planner'  # Art. 5 meetings, joint trainings and exercises
    OBSERVER = 'observer'


class Party(Choice):
    """Who triggers a transition, seen from the request."""

    REQUESTER = 'REQUESTER'  # the requesting State's crisis centre or competent authority
    ADDRESSED_AUTHORITY = 'ADDRESSED_AUTHORITY'  # the addressed State's competent authority
    UNIT_COMMANDER = 'UNIT_COMMANDER'  # the commander of the deployed unit
    SENDING_STATE = 'SENDING_STATE'  # the competent authority of the deployed unit's State
    SYSTEM = 'SYSTEM'  # automatic, e.g. recomputing MET


class LegalBasis(Choice):
    """Legal basis of a request (Decision 2008/617/JHA Art. 8 keeps the other instruments)."""

    DECISION_2008_617 = 'DECISION_2008_617'
    PRUM_ART_18 = 'PRUM_ART_18'  # Decision 2008/615/JHA: mass gatherings, disasters, serious accidents
    BILATERAL = 'BILATERAL'


class AssistanceKind(Choice):
    """Kinds of assistance (Art. 3(2)): equipment, expertise, and/or action, armed if required."""

    EQUIPMENT = 'EQUIPMENT'
    EXPERTISE = 'EXPERTISE'
    ACTION_ARMED = 'ACTION_ARMED'
    ACTION_UNARMED = 'ACTION_UNARMED'


class CrisisType(Choice):
    """Crisis situation (Art. 2(b)): a serious, direct physical threat posed by a criminal offence."""

    HOSTAGE_TAKING = 'hostage_taking'
    AIRCRAFT_HIJACKING = 'aircraft_hijacking'
    MARITIME_HIJACKING = 'maritime_hijacking'
    BUS_HIJACKING = 'bus_hijacking'
    TRAIN_HIJACKING = 'train_hijacking'
    TERRORIST_SIEGE = 'terrorist_siege'
    OTHER = 'other'


class CounterKind(Choice):
    """What a counter-proposal changes (Art. 3(1): "propose another kind of assistance")."""

    OTHER_ASSISTANCE_KIND = 'other_assistance_kind'
    OTHER_UNITS = 'other_units'
    FEWER_PERSONNEL = 'fewer_personnel'
    LATER_ARRIVAL = 'later_arrival'


class CostCategory(Choice):
    """Operational cost categories of a requested State's unit (Art. 4)."""

    TRANSPORT = 'TRANSPORT'
    ACCOMMODATION = 'ACCOMMODATION'
    EQUIPMENT = 'EQUIPMENT'
    OTHER = 'OTHER'


class CostBearer(Choice):
    """Which State bears a cost. It compares equal to the plain strings 'requesting' and 'sending'."""

    REQUESTING = 'requesting'
    SENDING = 'sending'


class ConflictKind(Choice):
    UNIT_OVERLAP = 'unit_overlap'
    UNIT_DEPLOYED = 'unit_deployed'
    READINESS_GUARD = 'readiness_guard'
    COVERAGE_THRESHOLD = 'coverage_threshold'


class ParticipantStatus(Choice):
    INVITED = 'invited'
    ACCEPTED = 'accepted'
    DECLINED = 'declined'
    WAITLISTED = 'waitlisted'


class Tier(Choice):
    """ATLAS tier of a unit (T1: deliberate hostage rescue; T3: tactical response only)."""

    T1 = 'T1'
    T2 = 'T2'
    T3 = 'T3'


class AirTransport(Choice):
    """The air transport a unit can use on its own."""

    HELICOPTER = 'helicopter'
    FIXED_WING = 'fixed_wing'
    NONE = 'none'


class AirliftKind(Choice):
    """The kind of a state's airlift asset (``airlift_asset.kind``)."""

    FIXED_WING = 'fixed_wing'
    HELICOPTER = 'helicopter'


class TrainingKind(Choice):
    """Art. 5 meetings, joint trainings and exercises."""

    MEETING = 'meeting'
    WORKSHOP = 'workshop'
    TABLE_TOP = 'table_top'
    COMMAND_POST = 'command_post'
    FIELD_EXERCISE = 'field_exercise'
    COMMON_CHALLENGE = 'common_challenge'


class TrainingStatus(Choice):
    PLANNED = 'planned'
    CANCELLED = 'cancelled'


class SiteKind(Choice):
    """What a typed crisis site was read as (``domain.places``)."""

    COORDINATES = 'coordinates'
    AIRPORT = 'airport'
    PLACE = 'place'


class SiteStatus(Choice):
    """How a typed crisis site resolved: one place, several to pick from, or none."""

    RESOLVED = 'resolved'
    AMBIGUOUS = 'ambiguous'
    UNKNOWN = 'unknown'


#: Assistance kinds that put officers into action on the requesting State's territory (Art. 3(2)).
ACTION_KINDS = frozenset({AssistanceKind.ACTION_ARMED, AssistanceKind.ACTION_UNARMED})


class Marking(Choice):
    """A classification marking, lowest first: UNCLASSIFIED and the EU classified levels of
    Council Decision 2013/488/EU, Art. 2(2). The order of the members is the order of the levels;
    national equivalents are read as aliases by :mod:`atlas_coord.domain.markings`."""

    UNCLASSIFIED = 'UNCLASSIFIED'
    RESTREINT_UE = 'RESTREINT UE/EU RESTRICTED'
    CONFIDENTIEL_UE = 'CONFIDENTIEL UE/EU CONFIDENTIAL'
    SECRET_UE = 'SECRET UE/EU SECRET'
    TRES_SECRET_UE = 'TRÈS SECRET UE/EU TOP SECRET'

    @property
    def label(self) -> str:
        # A marking is shown exactly as it is written on the material, never humanised.
        return self.value
