"""Sign-in is rate-limited per client address: someone guessing passwords from one address is
told to wait (429 with Retry-After), while officers signing in from elsewhere are still served."""

from __future__ import annotations

import uuid

import pytest

from atlas_coord import create_app
from atlas_coord.config import ConfigError
from tests.conftest import DEMO_PASSWORD, app_settings

GUESS = {"username": "nobody", "password": "guess-guess"}
GOOD = {"username": "demo-cc-be", "password": DEMO_PASSWORD}


def sign_in(client, address: str, body: dict, path: str = "/api/v1/auth/token", headers: dict | None = None):
    return client.post(path, json=body, environ_base={"REMOTE_ADDR": address}, headers=headers or {})


@pytest.fixture
def make_app(db_url):
    apps = []

    def make(**overrides):
        application = create_app(app_settings(db_url, **overrides))
        apps.append(application)
        return application

    yield make
    for application in apps:
        application.extensions["atlas_db"].dispose()


def test_the_eleventh_attempt_from_one_address_is_refused_and_another_address_is_served(client):
    for _ in range(10):
        assert sign_in(client, "198.51.100.7", GUESS).status_code == 401

    refused = sign_in(client, "198.51.100.7", GOOD)  # even the right password waits
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_requests"
    assert "too many sign-in attempts" in error["message"]
    assert "username" in error["fields"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60

    elsewhere = sign_in(client, "203.0.113.20", GOOD)
    assert elsewhere.status_code == 200
    assert elsewhere.get_json()["token"]


def test_the_console_login_and_the_token_endpoint_share_one_budget(client):
    for _ in range(5):
        assert sign_in(client, "198.51.100.8", GUESS).status_code == 401
    for _ in range(5):
        assert sign_in(client, "198.51.100.8", GUESS, "/api/v1/auth/login").status_code == 401
    assert sign_in(client, "198.51.100.8", GOOD, "/api/v1/auth/login").status_code == 429
    assert sign_in(client, "198.51.100.8", GOOD).status_code == 429


def test_other_calls_from_a_limited_address_are_not_affected(client):
    for _ in range(11):
        sign_in(client, "198.51.100.9", GUESS)
    assert client.get("/api/v1/states", environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 401
    assert client.get("/livez", environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 200


def test_the_limit_is_configurable(make_app):
    client = make_app(auth={"login_rate_limit": "3 per minute"}).test_client()
    statuses = [sign_in(client, "198.51.100.10", GOOD).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_limit_that_cannot_be_read_stops_start_up_naming_the_key(db_url):
    with pytest.raises(ConfigError, match="auth.login_rate_limit"):
        app_settings(db_url, auth={"login_rate_limit": "ten a minute"})


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_trusted(client, make_app):
    # Default: no proxy is trusted, so rotating X-Forwarded-For does not buy fresh attempts.
    for i in range(10):
        sign_in(client, "192.0.2.1", GUESS, headers={"X-Forwarded-For": f"10.0.0.{i}"})
    assert sign_in(client, "192.0.2.1", GOOD, headers={"X-Forwarded-For": "10.0.0.99"}).status_code == 429

    # Behind one trusted proxy, the client address it forwards is the one counted.
    proxied = make_app(server={"trusted_proxies": 1}).test_client()
    for _ in range(10):
        sign_in(proxied, "192.0.2.1", GUESS, headers={"X-Forwarded-For": "10.0.0.1"})
    assert sign_in(proxied, "192.0.2.1", GOOD, headers={"X-Forwarded-For": "10.0.0.1"}).status_code == 429
    assert sign_in(proxied, "192.0.2.1", GOOD, headers={"X-Forwarded-For": "10.0.0.2"}).status_code == 200


def test_server_processes_sharing_redis_share_the_count(make_app, redis_url):
    shared = {"realtime": {"redis_url": redis_url, "channel": f"atlas-test-{uuid.uuid4().hex[:8]}"}}
    first, second = make_app(**shared).test_client(), make_app(**shared).test_client()
    for _ in range(6):
        assert sign_in(first, "198.51.100.11", GUESS).status_code == 401
    for _ in range(4):
        assert sign_in(second, "198.51.100.11", GUESS).status_code == 401
    assert sign_in(second, "198.51.100.11", GOOD).status_code == 429
    assert sign_in(first, "198.51.100.11", GOOD).status_code == 429
    # Another deployment on the same Redis (its own channel) keeps its own count.
    other = make_app(realtime={"redis_url": redis_url, "channel": f"atlas-test-{uuid.uuid4().hex[:8]}"}).test_client()
    assert sign_in(other, "198.51.100.11", GOOD).status_code == 200


def test_trust_proxy_is_the_older_spelling_of_one_trusted_proxy(db_url):
    assert app_settings(db_url, server={"trust_proxy": True}).server.trusted_proxies == 1
    assert app_settings(db_url, server={"trusted_proxies": 2, "trust_proxy": False}).server.trust_proxy is True
    assert app_settings(db_url).server.trusted_proxies == 0
