"""Configuration: one TOML file (``ATLAS_CONFIG``) plus ``ATLAS_*`` environment overrides.

Every key is declared here with its type and bounds; an unknown key or a bad value stops
start-up with a message that names the key (pydantic does the naming).
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from .config_alerts import AlertSettings
from .config_base import ConfigError, _Section
from .domain.choices import Marking
from .domain.markings import exceeds, parse_marking


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(5000, ge=1, le=65535)
    secret_key: str = ""
    max_body_bytes: int = Field(256 * 1024, ge=1024, le=64 * 1024 * 1024)
    session_lifetime_minutes: int = Field(12 * 60, ge=5, le=7 * 24 * 60)
    secure_cookies: bool = False
    # How many reverse proxies in front of this process append to X-Forwarded-For (and set
    # -Proto/-Host). 0 = trust no forwarded header: the client address is the TCP peer, so a
    # client cannot pick its own address for the login rate limit. ``trust_proxy = true`` is
    # the older spelling of ``trusted_proxies = 1``; either implies the other.
    trust_proxy: bool = False
    trusted_proxies: int = Field(0, ge=0, le=10)
    # On SIGTERM/SIGINT `atlas-coord serve` stops accepting and waits at most this long for the
    # requests in flight (keep it below the supervisor's kill timeout).
    shutdown_grace_seconds: float = Field(20.0, gt=0, le=600)
    # API calls one process works on at once; more wait their turn before taking a database
    # connection (atlas_coord/admission.py). 0: no limit. 4 is what the load test runs with.
    max_concurrent_calls: int = Field(0, ge=0, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _proxy_spellings(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        hops, flag = data.get("trusted_proxies"), data.get("trust_proxy")
        if hops in (None, 0, "0") and flag in (True, "true", "1", 1):
            data["trusted_proxies"] = 1
        elif hops not in (None, 0, "0"):
            data["trust_proxy"] = True
        return data


class DatabaseSettings(_Section):
    url: str = "sqlite:///instance/atlas-coord.db"
    pool_size: int = Field(5, ge=1, le=100)

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql:// URLs are supported")
        return value


class RealtimeSettings(_Section):
    async_mode: Literal["threading"] = "threading"
    redis_url: str | None = None
    event_retention_days: int = Field(30, ge=1, le=3650)
    ping_interval_seconds: int = Field(20, ge=5, le=300)
    allowed_origins: list[str] = Field(default_factory=list)
    # Redis pub/sub channel shared by every server process and external emitter of one deployment;
    # pub/sub ignores Redis database numbers, so two deployments on one Redis need two channels.
    channel: str = Field("atlas-coord", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    # Write each live event straight to websocket-first clients' sockets (threading mode), rather
    # than waking one writer thread per client; see atlas_coord/realtime/fanout.py.
    direct_fanout: bool = True


class SchedulerSettings(_Section):
    embedded: bool = True
    interval_seconds: int = Field(30, ge=1, le=3600)


_RENAMED_AUTH_KEYS = {"login_max_failures": "throttle_after", "lockout_minutes": "throttle_max_seconds"}


class AuthSettings(_Section):
    token_lifetime_hours: int = Field(24, ge=1, le=24 * 90)
    # Per-account sign-in throttling: after `throttle_after` wrong passwords in a row, each
    # further failure makes the account wait 2^k seconds, at most `throttle_max_seconds`.
    # Every refusal (unknown name, wrong password, still waiting) is the same 401.
    throttle_after: int = Field(5, ge=1, le=100)
    throttle_max_seconds: int = Field(300, ge=1, le=24 * 60 * 60)
    # Sign-in attempts (POST /api/v1/auth/token and the console's /api/v1/auth/login together)
    # per client address; more get 429 with Retry-After. Counted in memory, or in Redis when
    # realtime.redis_url is set so that every server process shares the count.
    login_rate_limit: str = Field("10 per minute", min_length=1, max_length=200)
    # Roles whose holders must sign in with a second factor (TOTP, or a single-use recovery
    # code); demo accounts made by `seed --demo` are exempt. An empty list requires it of no one.
    mfa_required_roles: list[str] = Field(
        default_factory=lambda: ["admin", "competent_authority", "crisis_centre", "unit_commander"]
    )
    # The issuer an authenticator app shows next to the account name.
    mfa_issuer: str = Field("ATLAS", min_length=1, max_length=60, pattern=r"^[^:]+$")
    # Console sessions (the user_session table): refused after this long without a request, and
    # in any case this long after sign-in, whatever the activity.
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(12, ge=1, le=30 * 24)
    # WebAuthn (security keys, passkeys) as a second factor, offered to the holders of these roles.
    webauthn_roles: list[str] = Field(default_factory=lambda: ["admin"])
    # The relying party: the host name the console is reached at (browsers refuse IP addresses,
    # so `make run`'s console uses WebAuthn at http://localhost:5000), and the exact origins
    # whose signatures count; empty: http://localhost:<server.port>.
    webauthn_rp_id: str = Field("localhost", min_length=1, max_length=253, pattern=r"^[a-z0-9.-]+$")
    webauthn_rp_name: str = Field("ATLAS", min_length=1, max_length=60)
    webauthn_origins: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _renamed_keys(cls, data: Any) -> Any:
        for old, new in _RENAMED_AUTH_KEYS.items():
            if isinstance(data, dict) and old in data:
                raise ValueError(f"auth.{old} was replaced by auth.{new} (accounts are throttled, not locked)")
        return data

    @field_validator("mfa_required_roles", "webauthn_roles")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        from atlas_coord.domain.choices import Role

        known = {role.value for role in Role}
        unknown = [role for role in roles if role not in known]
        if unknown:
            raise ValueError(f"unknown role(s) {', '.join(unknown)}; one of {', '.join(sorted(known))}")
        return list(dict.fromkeys(roles))

    @field_validator("webauthn_origins")
    @classmethod
    def _origin_shapes(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if not re.match(r"^https?://[^/\s]+$", origin):
                raise ValueError(f"{origin!r} is not an origin such as https://atlas.example.eu (no path)")
        return origins

    @model_validator(mode="after")
    def _idle_within_absolute(self) -> AuthSettings:
        if self.session_idle_minutes > self.session_absolute_hours * 60:
            raise ValueError("auth.session_idle_minutes must not exceed auth.session_absolute_hours")
        return self

    @field_validator("login_rate_limit")
    @classmethod
    def _rate_limit_syntax(cls, value: str) -> str:
        from limits import parse_many

        try:
            parsed = parse_many(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit such as '10 per minute' or '10/minute;100/day': {exc}") from None
        if not parsed:
            raise ValueError("not a rate limit such as '10 per minute'")
        return value


class LoggingSettings(_Section):
    # "text": one human-readable line per record; "json": one JSON object per line (for a log
    # shipper), with the request context of the access log as fields.
    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # One line per HTTP request (method, path, status, duration, user, request id).
    access_log: bool = True

    @field_validator("format", "level", mode="before")
    @classmethod
    def _case(cls, value: Any, info) -> Any:
        if not isinstance(value, str):
            return value
        return value.upper() if info.field_name == "level" else value.lower()


class TrainingSettings(_Section):
    coverage_threshold_minutes: float = Field(240.0, gt=0, le=24 * 60)
    critical_capabilities: dict[str, list[str]] = Field(default_factory=dict)
    reminder_lead_hours: list[int] = Field(default_factory=lambda: [168, 24])


AUDIT_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
AUDIT_KEY_MIN_CHARS = 32


def check_key_shapes(keys: dict[str, SecretStr]) -> dict[str, SecretStr]:
    """A keyring's ids and secrets (audit HMAC keys, encryption keys): short ids, long secrets."""
    for key_id, secret in keys.items():
        if not AUDIT_KEY_ID.match(key_id):
            raise ValueError(f"key id {key_id!r}: 1 to 32 letters, digits, '_', '.' or '-'")
        if len(secret.get_secret_value()) < AUDIT_KEY_MIN_CHARS:
            raise ValueError(f"key {key_id!r}: at least {AUDIT_KEY_MIN_CHARS} characters (e.g. `openssl rand -hex 32`)")
    return keys


# key id -> secret, each id and secret checked by check_key_shapes (the error names the field).
KeyMap = Annotated[dict[str, SecretStr], AfterValidator(check_key_shapes)]


@dataclass(frozen=True)
class Keyring:
    """Where one set of keys held outside the database is configured: ``[section] field`` of the
    file, the environment (``env_many`` then ``env_one``, ``env_current`` picks the current key),
    and the instance file `make run` generates."""

    section: str
    field: str
    env_one: str
    env_many: str
    env_current: str


AUDIT_KEYRING = Keyring("audit", "hmac_keys", "ATLAS_AUDIT_KEY", "ATLAS_AUDIT_KEYS", "ATLAS_AUDIT_KEY_ID")
ENCRYPTION_KEYRING = Keyring("encryption", "keys", "ATLAS_ENCRYPTION_KEY", "ATLAS_ENCRYPTION_KEYS", "ATLAS_ENCRYPTION_KEY_ID")


class _KeyringSection(_Section):
    """A section holding a keyring: ``keyring.field`` (a KeyMap) and ``current_key_id``, which
    defaults to the first (newest) key and must be one of the keys."""

    keyring: ClassVar[Keyring]

    @model_validator(mode="before")
    @classmethod
    def _default_current_key(cls, data: Any) -> Any:
        field = cls.keyring.field
        if isinstance(data, dict) and not data.get("current_key_id") and isinstance(data.get(field), dict) and data[field]:
            data = {**data, "current_key_id": next(iter(data[field]))}
        return data

    @model_validator(mode="after")
    def _current_key_known(self) -> _KeyringSection:
        section, field = self.keyring.section, self.keyring.field
        current = self.current_key_id  # declared by each section, after its keys
        if current is not None and current not in getattr(self, field):
            raise ValueError(f"{section}.current_key_id {current!r} is not one of {section}.{field}")
        return self


class AuditSettings(_KeyringSection):
    """The anchored audit trail (services/audit.py): the HMAC keys, kept outside the database,
    and the witness file its signed checkpoints go to."""

    keyring: ClassVar[Keyring] = AUDIT_KEYRING
    # key id -> secret; records name the key id they were sealed with, so old keys stay here
    # (for verification) after a rotation. From ATLAS_AUDIT_KEYS / ATLAS_AUDIT_KEY, else the
    # file instance/audit_key that `make run` generates.
    hmac_keys: KeyMap = Field(default_factory=dict)
    # The key new records and checkpoints are sealed with; default: the first of hmac_keys.
    current_key_id: str | None = None
    witness_path: str = Field("instance/audit-witness.jsonl", min_length=1)
    checkpoint_every: int = Field(100, ge=1, le=1_000_000)
    checkpoint_minutes: int = Field(5, ge=1, le=24 * 60)


class EncryptionSettings(_KeyringSection):
    """Secrets the application must read back (the TOTP secrets of services/mfa.py) are sealed
    with AES-256-GCM under keys held outside the database, like the audit keys."""

    keyring: ClassVar[Keyring] = ENCRYPTION_KEYRING
    # key id -> secret; each sealed value names its key id, so old keys stay here until
    # `atlas-coord mfa reseal` has re-sealed everything with the current one. From
    # ATLAS_ENCRYPTION_KEYS / ATLAS_ENCRYPTION_KEY, else the file instance/encryption_key that
    # `make run` generates.
    keys: KeyMap = Field(default_factory=dict)
    # The key new values are sealed with; default: the first of keys.
    current_key_id: str | None = None


class SecuritySettings(_Section):
    """What the installation is accredited for (docs/markings.md)."""

    # The highest marking this installation may hold. A crisis marked above it is refused (422).
    # Default RESTREINT UE/EU RESTRICTED: requests for special intervention units are
    # operational police information, usually RESTREINT UE or its national equivalent, and the
    # console proposes that marking; an installation accredited for unclassified data only must
    # set UNCLASSIFIED, one accredited higher names its level.
    accreditation_ceiling: Marking = Marking.RESTREINT_UE
    # The marking of the training calendars (ICS files and feeds): trainings have no crisis, so
    # the installation says once what their calendars carry. At most the ceiling.
    calendar_marking: Marking = Marking.UNCLASSIFIED

    @field_validator("accreditation_ceiling", "calendar_marking", mode="before")
    @classmethod
    def _known_marking(cls, value: Any) -> Any:
        return parse_marking(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _calendar_within_ceiling(self) -> SecuritySettings:
        if exceeds(self.calendar_marking, self.accreditation_ceiling):
            raise ValueError(f"security.calendar_marking {self.calendar_marking.value!r} is above "
                             f"security.accreditation_ceiling {self.accreditation_ceiling.value!r}")
        return self


class CoverageSettings(_Section):
    # The coverage map's cells: 50 km (about H3 resolution 4; the matrix builds in ~10-20 s per
    # worker) or 25 km (four times the cells and the build time). cell_stride thins the grid (every
    # n-th cell) for quick checks and tests.
    cell_km: Literal[25, 50] = 50
    cell_stride: int = Field(1, ge=1, le=1000)
    # Where the per-unit x cell matrix is kept between workers and restarts (one file per
    # directory fingerprint, ~0.4 MB for 39 units at 50 km); empty: in memory only. Unset: the
    # embedded setup's instance/coverage-cache when the folder instance/ exists (`make run`
    # makes it), else in memory only.
    cache_dir: str | None = None
    # Build the matrix in a background thread as soon as a server process starts (create_app),
    # so that the first map request or training check finds it ready.
    prewarm: bool = True


class Settings(_Section):
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    realtime: RealtimeSettings = RealtimeSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    auth: AuthSettings = AuthSettings()
    training: TrainingSettings = TrainingSettings()
    coverage: CoverageSettings = CoverageSettings()
    logging: LoggingSettings = LoggingSettings()
    audit: AuditSettings = AuditSettings()
    encryption: EncryptionSettings = EncryptionSettings()
    security: SecuritySettings = SecuritySettings()
    alerts: AlertSettings = AlertSettings()
    # ETA model parameters; validated by domain.eta.EtaParams.from_mapping at start-up.
    eta: dict[str, float] = Field(default_factory=dict)
    # Transport model (road, boat) of the ranking; validated by
    # domain.transport.params.TransportParams.from_mapping at start-up.
    transport: dict[str, float] = Field(default_factory=dict)
    # Ranking credits in minutes; validated by domain.ranking.ScoreWeights.from_mapping at start-up.
    ranking: dict[str, float] = Field(default_factory=dict)
    testing: bool = False


# Single keys that an environment variable may override (12-factor style).
ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "ATLAS_SECRET_KEY": ("server", "secret_key"),
    "ATLAS_DATABASE_URL": ("database", "url"),
    "ATLAS_REDIS_URL": ("realtime", "redis_url"),
    "ATLAS_PORT": ("server", "port"),
    "ATLAS_HOST": ("server", "host"),
    "ATLAS_LOG_FORMAT": ("logging", "format"),
    "ATLAS_LOG_LEVEL": ("logging", "level"),
    "ATLAS_LOGIN_RATE_LIMIT": ("auth", "login_rate_limit"),
    "ATLAS_ACCREDITATION_CEILING": ("security", "accreditation_ceiling"),
    "ATLAS_SMTP_HOST": ("alerts", "smtp_host"),
    "ATLAS_SMTP_USERNAME": ("alerts", "smtp_username"),
    "ATLAS_SMTP_PASSWORD": ("alerts", "smtp_password"),
    "ATLAS_GATEWAY_SECRET": ("alerts", "gateway_secret"),
    "ATLAS_COVERAGE_PREWARM": ("coverage", "prewarm"),
    "ATLAS_MAX_CONCURRENT_CALLS": ("server", "max_concurrent_calls"),
}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        lines.append(f"{key}: {item['msg']}")
    return "; ".join(lines)


# Where `make run` generates the secret key once (mode 600). Relative to the working folder, like
# the default database (instance/atlas-coord.db): the embedded default lives in instance/.
INSTANCE_SECRET_KEY_FILE = Path("instance") / "secret_key"


# The audit HMAC key `make run` generates (``local:<hex>``, mode 600), used when neither the
# configuration nor ATLAS_AUDIT_KEYS / ATLAS_AUDIT_KEY names one.
INSTANCE_AUDIT_KEY_FILE = Path("instance") / "audit_key"
# The same for the encryption keys of secrets at rest (ATLAS_ENCRYPTION_KEYS, encryption.keys).
INSTANCE_ENCRYPTION_KEY_FILE = Path("instance") / "encryption_key"
# Where the coverage matrix is kept when ``[coverage] cache_dir`` is unset and instance/ exists.
INSTANCE_COVERAGE_CACHE = Path("instance") / "coverage-cache"


def parse_keys(text: str, source: str) -> dict[str, str]:
    """``k2:secret,k1:secret`` (commas or new lines), newest first; a lone secret is key id ``default``.

    :raise ConfigError: naming ``source`` when an entry has no secret.
    """
    keys: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in re.split(r"[,\n]", text))):
        key_id, sep, secret = entry.partition(":")
        if not sep:
            key_id, secret = "default", entry
        if not secret:
            raise ConfigError(f"{source}: key {key_id!r} has no secret (write id:secret)")
        keys[key_id] = secret
    return keys


def _replace_keys(raw: dict[str, Any], ring: Keyring, keys: dict[str, str]) -> dict[str, Any]:
    # Replaced, never merged: a rotation lists every key it keeps, so no old key lingers.
    # Anything but a table is passed on as it is, for the section's validation to name the field.
    keys = dict(keys) if isinstance(keys, dict) else keys
    return {**raw, ring.section: {**(raw.get(ring.section) or {}), ring.field: keys}}


def _env_keys(environ: dict[str, str], ring: Keyring) -> dict[str, str]:
    keys = parse_keys(environ.get(ring.env_one, ""), ring.env_one)
    for key_id, secret in parse_keys(environ.get(ring.env_many, ""), ring.env_many).items():
        keys.setdefault(key_id, secret)
    return keys


def _instance_keys(key_file: Path, ring: Keyring) -> dict[str, str]:
    try:
        return parse_keys(key_file.read_text(encoding="utf-8"), str(key_file))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{ring.section}.{ring.field}: cannot read {key_file}: {exc}") from exc


def _with_keyring(
    raw: dict[str, Any], environ: dict[str, str], overrides: dict[str, Any] | None, ring: Keyring
) -> dict[str, Any]:
    if environ.get(ring.env_current):
        raw = _merge(raw, {ring.section: {"current_key_id": environ[ring.env_current]}})
    keys = ((overrides or {}).get(ring.section) or {}).get(ring.field) or _env_keys(environ, ring)
    return _replace_keys(raw, ring, keys) if keys else raw


def _with_overrides(
    raw: dict[str, Any], environ: dict[str, str], overrides: dict[str, Any] | None, key_files: dict[Keyring, Path]
) -> dict[str, Any]:
    """The key variables, then ``overrides``. Keys of each keyring: file < environment <
    ``overrides``, each replacing the one before; the instance file only when none names a key."""
    if environ.get("ATLAS_AUDIT_WITNESS_PATH"):
        raw = _merge(raw, {"audit": {"witness_path": environ["ATLAS_AUDIT_WITNESS_PATH"]}})
    for ring in key_files:
        raw = _with_keyring(raw, environ, overrides, ring)
    if overrides:
        raw = _merge(raw, overrides)
    for ring, key_file in key_files.items():
        if not (raw.get(ring.section) or {}).get(ring.field):
            raw = _replace_keys(raw, ring, _instance_keys(key_file, ring))
    return raw


def _instance_secret_key(key_file: Path) -> str:
    try:
        return key_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise ConfigError(f"server.secret_key: cannot read {key_file}: {exc}") from exc


def load_settings(
    overrides: dict[str, Any] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    require_secret_key: bool = True,
    instance_key_file: str | os.PathLike[str] = INSTANCE_SECRET_KEY_FILE,
    instance_audit_key_file: str | os.PathLike[str] = INSTANCE_AUDIT_KEY_FILE,
    instance_encryption_key_file: str | os.PathLike[str] = INSTANCE_ENCRYPTION_KEY_FILE,
    instance_coverage_cache: str | os.PathLike[str] = INSTANCE_COVERAGE_CACHE,
) -> Settings:
    """Read TOML (``path`` or ``$ATLAS_CONFIG``), apply ``ATLAS_*`` variables, then ``overrides``.

    The secret key is ``ATLAS_SECRET_KEY``, else ``server.secret_key`` of the file, else the
    contents of ``instance_key_file`` (``instance/secret_key``, which `make run` generates), so
    a hand-run ``atlas-coord serve`` in the clone signs with the same key as `make run`. It
    signs session cookies and CSRF tokens only: callers that sign nothing (the CLI's database,
    user, audit and backup commands) pass ``require_secret_key=False`` and then get it empty
    when none is set, instead of an error.

    The audit HMAC keys are ``ATLAS_AUDIT_KEY`` / ``ATLAS_AUDIT_KEYS``, else ``audit.hmac_keys``
    of the file, else ``instance_audit_key_file`` (``instance/audit_key``, which `make run`
    generates); ``ATLAS_AUDIT_KEY_ID`` picks the current one. The encryption keys of secrets at
    rest the same way: ``ATLAS_ENCRYPTION_KEY(S)``, ``encryption.keys``, ``instance/encryption_key``.

    ``coverage.cache_dir`` unset is ``instance_coverage_cache`` (``instance/coverage-cache``) when
    its parent folder exists (the embedded setup), else empty (in memory only).

    :raise ConfigError: naming the file or the key that is wrong.
    """
    environ = dict(os.environ if environ is None else environ)
    raw: dict[str, Any] = {}
    config_path = path or environ.get("ATLAS_CONFIG")
    if config_path:
        try:
            raw = tomllib.loads(Path(config_path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"ATLAS_CONFIG: file not found: {config_path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
    for variable, (section, key) in ENV_OVERRIDES.items():
        if environ.get(variable):
            raw = _merge(raw, {section: {key: environ[variable]}})
    key_files = {AUDIT_KEYRING: Path(instance_audit_key_file), ENCRYPTION_KEYRING: Path(instance_encryption_key_file)}
    raw = _with_overrides(raw, environ, overrides, key_files)
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"invalid configuration: {_describe(exc)}") from exc
    if not settings.server.secret_key:
        key = _instance_secret_key(Path(instance_key_file))
        if not key and require_secret_key:
            if not (settings.testing or environ.get("ATLAS_DEV_INSECURE_KEY") == "1"):
                raise ConfigError(
                    "server.secret_key: not set; put it in the config file or ATLAS_SECRET_KEY, "
                    f"or run `make run` once, which generates {instance_key_file} "
                    f"(looked for it in {Path.cwd()})"
                )
            key = secrets.token_hex(32)
        if key:
            settings = settings.model_copy(update={"server": settings.server.model_copy(update={"secret_key": key})})
    settings = _with_coverage_cache(settings, Path(instance_coverage_cache))
    _validate_eta(settings)
    _validate_transport(settings)
    _validate_ranking(settings)
    return settings


def _with_coverage_cache(settings: Settings, instance_cache: Path) -> Settings:
    """An unset ``coverage.cache_dir``: the instance folder's cache when that folder is there, so a
    restart of the embedded setup reuses the matrix; elsewhere memory only (as an empty value)."""
    if settings.coverage.cache_dir is not None:
        return settings
    cache_dir = str(instance_cache) if instance_cache.parent.is_dir() else ""
    return settings.model_copy(update={"coverage": settings.coverage.model_copy(update={"cache_dir": cache_dir})})


def _validate_eta(settings: Settings) -> None:
    try:
        from atlas_coord.domain.eta import EtaParams
    except ImportError:  # pragma: no cover - the ranking engine is part of the package
        return
    try:
        EtaParams.from_mapping(settings.eta)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"eta: {exc}") from exc


def _validate_transport(settings: Settings) -> None:
    from atlas_coord.domain.eta import EtaParams
    from atlas_coord.domain.transport.params import TransportParams

    try:
        TransportParams.from_mapping(settings.transport, EtaParams.from_mapping(settings.eta))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"transport: {exc}") from exc


def _validate_ranking(settings: Settings) -> None:
    from atlas_coord.domain.ranking import ScoreWeights

    try:
        ScoreWeights.from_mapping(settings.ranking)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"ranking: {exc}") from exc
