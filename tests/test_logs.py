"""Logs an operator can ship and search: one JSON object per line, an access line per request
carrying the request id the client or proxy sent (or a new one, echoed back), the user and the
address; exceptions as a field; never a password, a token or a cookie."""

from __future__ import annotations

import io
import json
import logging

import pytest

from atlas_coord import create_app
from atlas_coord.config import ConfigError, load_settings
from atlas_coord.logs import ACCESS_LOGGER, configure_logging
from tests.conftest import DEMO_PASSWORD, app_settings


@pytest.fixture
def captured(db_url):
    """An app logging JSON into a buffer; the default (text on stderr) is put back afterwards."""
    settings = app_settings(db_url, logging={"format": "json"})
    application = create_app(settings)
    buffer = io.StringIO()
    configure_logging(settings, stream=buffer)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    application.log_lines = lines
    application.log_text = buffer.getvalue
    yield application
    configure_logging(None)
    application.extensions["atlas_db"].dispose()


def access_lines(app, path: str) -> list[dict]:
    return [line for line in app.log_lines() if line["logger"] == ACCESS_LOGGER and line["path"] == path]


def test_each_request_gets_one_json_access_line_with_who_what_and_how_long(captured):
    client = captured.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "demo-cc-be", "password": DEMO_PASSWORD}).get_json()["token"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, environ_base={"REMOTE_ADDR": "192.0.2.44"})
    assert me.status_code == 200

    [line] = access_lines(captured, "/api/v1/auth/me")
    assert line["level"] == "INFO"
    assert line["time"].endswith("Z") and line["time"][:4].isdigit()
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    assert line["user_id"] == me.get_json()["user"]["id"]
    assert line["remote_addr"] == "192.0.2.44"
    assert line["request_id"] == me.headers["X-Request-ID"]
    assert "GET /api/v1/auth/me 200" in line["message"]

    [anonymous] = access_lines(captured, "/api/v1/auth/token")
    assert "user_id" not in anonymous


def test_a_sane_request_id_from_the_caller_is_kept_and_a_strange_one_replaced(captured):
    client = captured.test_client()
    kept = client.get("/livez", headers={"X-Request-ID": "lb-7f3a:42"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a:42"
    for strange in ("forged\" level=ERROR", "x" * 200, "<script>"):
        replaced = client.get("/livez", headers={"X-Request-ID": strange})
        assert replaced.headers["X-Request-ID"] != strange
        assert len(replaced.headers["X-Request-ID"]) == 32
    ids = [line["request_id"] for line in access_lines(captured, "/livez")]
    assert ids[0] == "lb-7f3a:42" and len(set(ids)) == 4


def test_an_unhandled_error_is_logged_with_its_traceback_and_the_request_id(db_url):
    settings = app_settings(db_url, logging={"format": "json"})
    application = create_app(settings)

    def explode():
        raise ZeroDivisionError("boom in the view")

    application.add_url_rule("/explode", "explode", explode)
    buffer = io.StringIO()
    configure_logging(settings, stream=buffer)
    try:
        response = application.test_client().get("/explode")
    finally:
        configure_logging(None)
        application.extensions["atlas_db"].dispose()
    assert response.status_code == 500
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    [error] = [line for line in lines if "exception" in line]
    assert "ZeroDivisionError: boom in the view" in error["exception"]
    assert error["level"] == "ERROR"
    assert error["request_id"] == response.headers["X-Request-ID"]
    [access] = [line for line in lines if line["logger"] == ACCESS_LOGGER]
    assert (access["status"], access["level"]) == (500, "ERROR")


def test_passwords_tokens_and_cookies_never_reach_the_log(captured):
    client = captured.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "demo-cc-fr", "password": DEMO_PASSWORD}).get_json()["token"]
    client.post("/api/v1/auth/token", json={"username": "demo-cc-fr", "password": "a-wrong-password-guess"})
    login = client.post("/api/v1/auth/login", json={"username": "demo-cmd-fr", "password": DEMO_PASSWORD})
    cookie = client.get_cookie("atlas_session").value
    client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/auth/me", headers={"X-CSRF-Token": login.get_json()["csrf_token"]})
    client.get("/calendar/unit/1.ics?token=feed-secret-in-the-query")
    text = captured.log_text()
    assert access_lines(captured, "/calendar/unit/1.ics")
    for secret in (DEMO_PASSWORD, "a-wrong-password-guess", token, cookie, "feed-secret-in-the-query"):
        assert secret not in text


def test_text_lines_carry_the_request_id(db_url):
    settings = app_settings(db_url)
    application = create_app(settings)
    buffer = io.StringIO()
    configure_logging(settings, stream=buffer)
    try:
        with application.test_request_context("/", headers={"X-Request-ID": "trace-1"}):
            application.preprocess_request()
            logging.getLogger("atlas_coord.test").warning("readiness feed late")
    finally:
        configure_logging(None)
        application.extensions["atlas_db"].dispose()
    [line] = [row for row in buffer.getvalue().splitlines() if "readiness feed late" in row]
    assert "WARNING atlas_coord.test readiness feed late [rid=trace-1]" in line


def test_format_and_level_come_from_the_file_or_the_environment(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[server]\nsecret_key = "k"\n[logging]\nformat = "json"\nlevel = "warning"\n', encoding="utf-8")
    from_file = load_settings(path=path, environ={})
    assert (from_file.logging.format, from_file.logging.level) == ("json", "WARNING")
    from_env = load_settings(path=path, environ={"ATLAS_LOG_FORMAT": "text", "ATLAS_LOG_LEVEL": "DEBUG"})
    assert (from_env.logging.format, from_env.logging.level) == ("text", "DEBUG")
    with pytest.raises(ConfigError, match="logging.format"):
        load_settings(path=path, environ={"ATLAS_LOG_FORMAT": "xml"})


def test_configuring_twice_leaves_one_handler_of_ours():
    buffer = io.StringIO()
    configure_logging(None)
    configure_logging(None, stream=buffer)
    try:
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_atlas_coord", False)]
        assert len(ours) == 1
        logging.getLogger("atlas_coord.test").info("once")
        assert buffer.getvalue().count("once") == 1
    finally:
        configure_logging(None)
