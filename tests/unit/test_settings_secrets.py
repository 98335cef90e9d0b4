"""Secrets in settings: masked when printed, required for real providers where deployed."""

from __future__ import annotations

import pytest

from sxp.config import Settings
from sxp.errors import ConfigError


def test_secrets_are_masked_wherever_settings_are_printed() -> None:
    settings = Settings(DATABASE_URL="postgresql://u:hunter2-canary@db/sxp",
                        SPACES_SECRET="spaces-canary", SKIPTRACE_API_KEY="st-canary",
                        APOLLO_API_KEY="ap-canary", X_API_BEARER_TOKEN="x-canary")
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    assert "canary" not in shown
    assert settings.database_dsn == "postgresql://u:hunter2-canary@db/sxp"
    assert settings.secret("skiptrace_api_key") == "st-canary"


@pytest.mark.parametrize("env", ["dev", "stage", "prod"])
def test_deployed_envs_refuse_the_sandbox(env: str) -> None:
    bare = Settings(SXP_ENV=env)
    with pytest.raises(ConfigError, match="SKIPTRACE_BASE_URL and SKIPTRACE_API_KEY"):
        bare.check_provider("skiptrace")
    keyless = Settings(SXP_ENV=env, APOLLO_BASE_URL="https://apollo.invalid")
    with pytest.raises(ConfigError, match="APOLLO_API_KEY") as info:
        keyless.check_provider("apollo")
    assert "BASE_URL" not in str(info.value)
    Settings(SXP_ENV=env, APOLLO_BASE_URL="https://apollo.invalid",
             APOLLO_API_KEY="real").check_provider("apollo")


def test_local_runs_keep_the_sandbox() -> None:
    Settings(SXP_ENV="local").check_provider("skiptrace")
    Settings(SXP_ENV="test").check_provider("apollo")


def test_a_deployed_worker_does_not_start_without_its_providers(tmp_path: object) -> None:
    from sxp.bootstrap import bootstrap

    settings = Settings(SXP_ENV="prod", SXP_SERVICE="sxp-worker",
                        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(ConfigError, match="SKIPTRACE_BASE_URL"):
        bootstrap(settings, configure_logs=False)


def test_an_empty_valkey_url_is_unset_and_refused_where_deployed() -> None:
    import pytest

    from sxp.config import Settings
    from sxp.errors import ConfigError

    assert Settings(SXP_VALKEY_URL="").valkey_dsn() is None  # local: the embedded Valkey
    with pytest.raises(ConfigError, match="SXP_VALKEY_URL"):
        Settings(SXP_ENV="prod", SXP_VALKEY_URL="").valkey_dsn()
    assert Settings(SXP_ENV="prod", SXP_VALKEY_URL="rediss://v:6379").valkey_dsn() == (
        "rediss://v:6379")
