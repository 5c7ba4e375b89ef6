"""Passwords: at least 12 characters and not a common one (ASVS 2.1.1, 2.1.7), refused with a
clear reason by account creation and by `atlas-coord user add`; generated demo passwords pass."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from atlas_coord.cli import main
from atlas_coord.models import User
from atlas_coord.services.accounts import GrantSpec, create_user, password_problem
from atlas_coord.services.errors import Invalid


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short-pass1", "at least 12 characters"),
        ("1qaz2wsx3edc", "too common"),
        ("QWERTY123456", "too common"),
        ("password2024!", "too common"),
        ("football12345", "too common"),
    ],
)
def test_short_and_common_passwords_are_refused_with_the_reason(password, reason):
    assert reason in password_problem(password)


def test_demo_and_long_unusual_passwords_pass():
    assert password_problem("demo-password-for-tests") is None
    assert password_problem("a-long-enough-password") is None
    for _ in range(200):  # `make run` and `seed --demo` generate these
        assert password_problem("demo-" + secrets.token_urlsafe(9)) is None
        assert password_problem(secrets.token_urlsafe(12)) is None


def test_account_creation_refuses_a_common_password_naming_the_field(session):
    with pytest.raises(Invalid) as refused:
        create_user(session, None, username="weak", password="qwerty123456", grants=[GrantSpec.parse("observer")])
    assert "too common" in refused.value.message
    assert "password" in refused.value.fields


def test_user_add_refuses_a_short_password_before_writing_anything(db_url, database):
    env = {"ATLAS_DATABASE_URL": db_url, "ATLAS_SECRET_KEY": "cli-test-key", "ATLAS_CONFIG": ""}
    result = CliRunner().invoke(main, ["user", "add", "officer", "--role", "observer", "--password-stdin"],
                                input="ten-chars!\n", env=env, catch_exceptions=False)
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    with database.transaction() as s:
        assert s.scalar(sa.select(User).where(User.username == "officer")) is None
