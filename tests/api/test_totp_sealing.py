"""TOTP secrets at rest (issue #14): sealed with AES-GCM under a key held outside the database,
so a copy of the database (or a backup) alone does not let anyone make codes. A plain secret
from before sealing still signs in and is sealed at that use; after a key rotation
`atlas-coord mfa reseal` re-seals every secret with the new key."""

from __future__ import annotations

import pyotp
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from atlas_coord.cli import main
from atlas_coord.models import AuditRecord, TotpFactor
from atlas_coord.services import mfa
from atlas_coord.services.secret_box import SecretBox, SecretBoxError
from tests.api.test_mfa import PASSWORD, enrol, make_user, next_code, post
from tests.conftest import ENCRYPTION_KEY, ENCRYPTION_KEY_ID, witness_for

NEW_KEY = "a-rotated-encryption-key-0123456789abcdef"


def stored_secret(database, user_id: int) -> str:
    with database.transaction() as s:
        return s.get(TotpFactor, user_id).secret


def test_the_database_holds_no_usable_totp_secret(client, database):
    user_id = make_user(database, "seal-cc")
    totp, _codes, _ = enrol(client, "seal-cc")
    stored = stored_secret(database, user_id)
    assert stored.startswith(f"v1:{ENCRYPTION_KEY_ID}:") and totp.secret not in stored
    # The sealed value is bound to its row: copied into another row, it does not open.
    box = SecretBox(keys={ENCRYPTION_KEY_ID: ENCRYPTION_KEY}, current_key_id=ENCRYPTION_KEY_ID)
    assert box.open(stored, bound_to=f"mfa_totp:{user_id}") == totp.secret
    with pytest.raises(SecretBoxError):
        box.open(stored, bound_to=f"mfa_totp:{user_id + 1}")
    # Without the key nothing opens (a stolen database or backup alone).
    with pytest.raises(SecretBoxError, match="not in encryption.keys"):
        SecretBox(keys={"other": NEW_KEY}, current_key_id="other").open(stored, bound_to=f"mfa_totp:{user_id}")
    assert post(client, "/api/v1/auth/token", {"username": "seal-cc", "password": PASSWORD,
                                               "otp": next_code(totp)}).status_code == 200


def test_a_plain_secret_from_before_sealing_still_signs_in_and_is_sealed_then(client, database):
    user_id = make_user(database, "seal-legacy")
    totp, _codes, _ = enrol(client, "seal-legacy")
    with database.transaction() as s:
        s.get(TotpFactor, user_id).secret = totp.secret  # as migration 0009 leaves an older row
    signed = post(client, "/api/v1/auth/token", {"username": "seal-legacy", "password": PASSWORD, "otp": next_code(totp)})
    assert signed.status_code == 200
    assert stored_secret(database, user_id).startswith(f"v1:{ENCRYPTION_KEY_ID}:")


def test_reseal_after_a_key_rotation_lets_the_old_key_go(db_url, database, client):
    user_id = make_user(database, "seal-rotate")
    totp, _codes, _ = enrol(client, "seal-rotate")
    env = {"ATLAS_DATABASE_URL": db_url, "ATLAS_SECRET_KEY": "cli-test-key", "ATLAS_CONFIG": "",
           "ATLAS_AUDIT_WITNESS_PATH": str(witness_for(db_url)),
           "ATLAS_ENCRYPTION_KEYS": f"k2:{NEW_KEY},{ENCRYPTION_KEY_ID}:{ENCRYPTION_KEY}"}
    result = CliRunner().invoke(main, ["mfa", "reseal"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "re-sealed" in result.output and "with key k2" in result.output
    stored = stored_secret(database, user_id)
    assert stored.startswith("v1:k2:")
    # The old key is no longer needed.
    only_new = SecretBox(keys={"k2": NEW_KEY}, current_key_id="k2")
    assert pyotp.TOTP(only_new.open(stored, bound_to=f"mfa_totp:{user_id}")).now() == totp.now()
    with database.transaction() as s:
        assert mfa.reseal(s, only_new) == (0, s.scalar(sa.select(sa.func.count()).select_from(TotpFactor)))
    with database.transaction() as s:  # audit records join the chain when their change commits
        assert s.scalar(sa.select(sa.func.count()).where(AuditRecord.action == "mfa.resealed")) == 2


def test_without_an_encryption_key_enrolment_is_refused_not_stored_in_plain(database):
    from atlas_coord.models import User

    user_id = make_user(database, "seal-nokey")
    with database.transaction() as s, pytest.raises(SecretBoxError) as refused:
        mfa.start_totp(s, None, s.get(User, user_id), issuer="ATLAS", box=SecretBox(keys={}, current_key_id=None))
    assert refused.value.status == 503 and "encryption_key" in refused.value.message
