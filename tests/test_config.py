"""Configuration: TOML file, ATLAS_* overrides, and start-up refused with a message naming the bad key."""

from __future__ import annotations

import pytest

from atlas_coord.config import ConfigError, load_settings


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_configuration_is_valid(monkeypatch):
    settings = load_settings(path="config.example.toml", environ={"ATLAS_SECRET_KEY": "k" * 32})
    assert settings.server.port == 5000
    assert settings.database.url.startswith("sqlite:///")


def test_environment_variables_override_single_keys(tmp_path):
    path = write(tmp_path, '[server]\nsecret_key = "from-file"\nport = 6000\n')
    settings = load_settings(
        path=path,
        environ={
            "ATLAS_PORT": "5077",
            "ATLAS_DATABASE_URL": "postgresql://postgres@127.0.0.1/atlas",
            "ATLAS_REDIS_URL": "redis://127.0.0.1:6379/3",
            "ATLAS_SECRET_KEY": "from-env",
        },
    )
    assert settings.server.port == 5077
    assert settings.server.secret_key == "from-env"
    assert settings.database.url == "postgresql://postgres@127.0.0.1/atlas"
    assert settings.realtime.redis_url == "redis://127.0.0.1:6379/3"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[server]\nprot = 5000\nsecret_key = "x"\n', "server.prot"),
        ('[server]\nport = 70000\nsecret_key = "x"\n', "server.port"),
        ('[server]\nport = "fast"\nsecret_key = "x"\n', "server.port"),
        ('[server]\nsecret_key = "x"\n[database]\nurl = "mysql://db"\n', "database.url"),
        ('[server]\nsecret_key = "x"\n[colour]\nsea = "blue"\n', "colour"),
        ('[server]\nsecret_key = "x"\n[eta]\nwarp_factor = 9\n', "warp_factor"),
        ('[server]\nsecret_key = "x"\n[ranking]\nmax_credit_minutes = 30\n', "max_credit_minutes"),
        ('[server]\nsecret_key = "x"\n[ranking]\ntier_t1_min = -5\n', "tier_t1_min"),
        ('[server]\nsecret_key = "x"\n[transport]\nroad_kmh = 90\n', "transport: Unknown transport parameter 'road_kmh'"),
        ('[server]\nsecret_key = "x"\n[transport]\nroad_detour_factor = 0.5\n', "road_detour_factor"),
        ("[server]\n", "server.secret_key"),
    ],
)
def test_a_bad_key_or_value_stops_start_up_naming_it(tmp_path, text, named):
    with pytest.raises(ConfigError) as caught:
        # No instance/secret_key either (one may exist in the folder the tests run from).
        load_settings(path=write(tmp_path, text), environ={}, instance_key_file=tmp_path / "no_secret_key")
    assert named in str(caught.value)


def test_a_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(environ={"ATLAS_CONFIG": str(tmp_path / "nope.toml")})


def test_the_secret_key_falls_back_to_the_file_make_run_generates(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("generated-by-make-run\n", encoding="utf-8")
    assert load_settings(environ={}, instance_key_file=key_file).server.secret_key == "generated-by-make-run"
    # The environment and the config file still come first.
    assert load_settings(environ={"ATLAS_SECRET_KEY": "env"}, instance_key_file=key_file).server.secret_key == "env"
    from_file = write(tmp_path, '[server]\nsecret_key = "from-file"\n')
    assert load_settings(path=from_file, environ={}, instance_key_file=key_file).server.secret_key == "from-file"


def test_callers_that_sign_nothing_need_no_secret_key(tmp_path):
    missing = tmp_path / "no_secret_key"
    assert load_settings(environ={}, require_secret_key=False, instance_key_file=missing).server.secret_key == ""
    with pytest.raises(ConfigError, match="server.secret_key: not set"):
        load_settings(environ={}, instance_key_file=missing)


AUDIT_SECRET = "s" * 40


def test_audit_keys_come_from_the_environment_newest_first(tmp_path):
    missing = tmp_path / "no_audit_key"
    settings = load_settings(environ={"ATLAS_AUDIT_KEYS": f"k2:{'2' * 40},k1:{'1' * 40}"}, require_secret_key=False,
                             instance_audit_key_file=missing)
    assert list(settings.audit.hmac_keys) == ["k2", "k1"] and settings.audit.current_key_id == "k2"
    assert "2222" not in repr(settings)  # secrets never printed
    chosen = load_settings(environ={"ATLAS_AUDIT_KEYS": f"k2:{'2' * 40},k1:{'1' * 40}", "ATLAS_AUDIT_KEY_ID": "k1"},
                           require_secret_key=False, instance_audit_key_file=missing)
    assert chosen.audit.current_key_id == "k1"
    single = load_settings(environ={"ATLAS_AUDIT_KEY": AUDIT_SECRET}, require_secret_key=False,
                           instance_audit_key_file=missing)
    assert single.audit.current_key_id == "default"


def test_the_audit_key_falls_back_to_the_file_make_run_generates(tmp_path):
    key_file = tmp_path / "audit_key"
    key_file.write_text(f"local:{AUDIT_SECRET}\n")
    assert load_settings(environ={}, require_secret_key=False, instance_audit_key_file=key_file).audit.current_key_id == "local"
    from_env = load_settings(environ={"ATLAS_AUDIT_KEYS": f"env:{AUDIT_SECRET}"}, require_secret_key=False,
                             instance_audit_key_file=key_file)
    assert list(from_env.audit.hmac_keys) == ["env"]
    none = load_settings(environ={}, require_secret_key=False, instance_audit_key_file=tmp_path / "none")
    assert none.audit.hmac_keys == {} and none.audit.current_key_id is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[audit]\nhmac_keys = { k1 = "short" }\n', "at least 32 characters"),
        (f'[audit]\nhmac_keys = {{ "bad id" = "{AUDIT_SECRET}" }}\n', "key id"),
        (f'[audit]\nhmac_keys = {{ k1 = "{AUDIT_SECRET}" }}\ncurrent_key_id = "k9"\n', "audit.current_key_id"),
        ("[audit]\ncheckpoint_every = 0\n", "audit.checkpoint_every"),
        ("[audit]\nhmac_keys = 5\n", r"audit\.hmac_keys: Input should be a valid dictionary"),
        ('[encryption]\nkeys = "k1:abc"\n', r"encryption\.keys: Input should be a valid dictionary"),
    ],
)
def test_bad_audit_settings_are_named(tmp_path, text, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(path=write(tmp_path, text), environ={}, require_secret_key=False)


def test_the_accreditation_ceiling_is_a_known_marking_and_a_bad_one_names_the_key():
    from atlas_coord.domain.choices import Marking

    assert load_settings(environ={}, require_secret_key=False).security.accreditation_ceiling is Marking.RESTREINT_UE
    lowered = load_settings(environ={"ATLAS_ACCREDITATION_CEILING": "unclassified"}, require_secret_key=False)
    assert lowered.security.accreditation_ceiling is Marking.UNCLASSIFIED
    with pytest.raises(ConfigError, match=r"security\.accreditation_ceiling: .*unknown marking 'TOP-TOP'"):
        load_settings({"security": {"accreditation_ceiling": "TOP-TOP"}}, environ={}, require_secret_key=False)
    with pytest.raises(ConfigError, match=r"security\.calendar_marking 'SECRET UE/EU SECRET' is above"):
        load_settings({"security": {"calendar_marking": "EU SECRET"}}, environ={}, require_secret_key=False)


def test_the_coverage_cache_defaults_to_the_instance_folder_only_where_make_run_made_it(tmp_path):
    """Like instance/secret_key: the embedded setup keeps the coverage table in instance/, so a
    restart reads it back; without an instance folder it stays in memory; "" turns it off."""
    cache = tmp_path / "instance" / "coverage-cache"
    env = {"ATLAS_SECRET_KEY": "k" * 32}
    assert load_settings(environ=env, instance_coverage_cache=cache).coverage.cache_dir == ""
    (tmp_path / "instance").mkdir()
    assert load_settings(environ=env, instance_coverage_cache=cache).coverage.cache_dir == str(cache)
    assert load_settings({"coverage": {"cache_dir": ""}}, environ=env,
                         instance_coverage_cache=cache).coverage.cache_dir == ""
    chosen = str(tmp_path / "elsewhere")
    assert load_settings({"coverage": {"cache_dir": chosen}}, environ=env,
                         instance_coverage_cache=cache).coverage.cache_dir == chosen


def test_servers_build_the_coverage_table_at_start_up_unless_told_not_to():
    env = {"ATLAS_SECRET_KEY": "k" * 32}
    assert load_settings(environ=env).coverage.prewarm is True
    assert load_settings(environ={**env, "ATLAS_COVERAGE_PREWARM": "false"}).coverage.prewarm is False


def test_keys_given_as_overrides_that_are_not_a_table_are_named_not_a_crash():
    with pytest.raises(ConfigError, match=r"audit\.hmac_keys: Input should be a valid dictionary"):
        load_settings({"audit": {"hmac_keys": 5}}, environ={}, require_secret_key=False)
