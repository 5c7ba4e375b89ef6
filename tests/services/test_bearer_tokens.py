"""Who a bearer token signs in (issue #18: the token, its user and the grants are read in one
statement on every API call and every live re-check): the same actor as the user's own grants
give, and nobody for a revoked or expired token or a deactivated account."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from atlas_coord.models import RoleGrant, User
from atlas_coord.services import accounts


def user_named(session, username: str) -> User:
    return session.scalar(sa.select(User).where(User.username == username))


def token_of(session, username: str, lifetime=timedelta(hours=1)) -> str:
    token, _row = accounts.issue_token(session, user_named(session, username), lifetime=lifetime)
    return token


def test_a_commanders_token_signs_in_the_commander_with_his_units_state(session):
    actor, row = accounts.actor_for_token(session, token_of(session, "demo-cmd-be"))
    commander = user_named(session, "demo-cmd-be")
    assert actor == accounts.actor_for(session, commander)
    assert row.user_id == commander.id
    (grant,) = actor.grants
    assert grant.unit_id is not None and grant.unit_state == "BE"


def test_every_grant_of_a_user_comes_with_the_token_in_the_order_granted(session):
    user = accounts.create_user(session, None, username="demo-two-hats", password="a long demo passphrase 1",
                                grants=[accounts.GrantSpec.parse("crisis_centre:NL"),
                                        accounts.GrantSpec.parse("competent_authority:NL"), accounts.GrantSpec.parse("observer")],
                                is_demo=True)
    token, _ = accounts.issue_token(session, user, lifetime=timedelta(hours=1))
    actor, _row = accounts.actor_for_token(session, token)
    assert [grant.role.value for grant in actor.grants] == ["crisis_centre", "competent_authority", "observer"]
    assert actor == accounts.actor_for(session, user)


def test_a_user_whose_roles_were_all_withdrawn_is_signed_in_with_none(session):
    token = token_of(session, "demo-observer")
    session.execute(sa.delete(RoleGrant).where(RoleGrant.user_id == user_named(session, "demo-observer").id))
    actor, _row = accounts.actor_for_token(session, token)
    assert actor.username == "demo-observer" and actor.grants == ()


def test_revoked_expired_unknown_tokens_and_deactivated_accounts_sign_in_nobody(session):
    revoked = token_of(session, "demo-cc-be")
    accounts.revoke_token(session, accounts.actor_for_token(session, revoked)[1])
    expired = token_of(session, "demo-cc-be", lifetime=timedelta(seconds=-1))
    deactivated = token_of(session, "demo-ca-fr")
    user_named(session, "demo-ca-fr").is_active = False
    session.flush()

    assert accounts.actor_for_token(session, revoked) is None
    assert accounts.actor_for_token(session, expired) is None
    assert accounts.actor_for_token(session, deactivated) is None
    assert accounts.actor_for_token(session, "not-a-token-anyone-was-given") is None
    assert accounts.actor_for_token(session, token_of(session, "demo-cc-be"))[0].username == "demo-cc-be"
