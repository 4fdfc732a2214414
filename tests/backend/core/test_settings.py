from pathlib import Path

import pytest
from pydantic import ValidationError

from backend.core.settings import Settings


def test_embedded_default_lives_under_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None)
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'var' / 'dse.sqlite3'}"
    assert settings.embedded_broker
    assert settings.celery_broker_url == f"redis+socket://{tmp_path / 'var' / 'redis.sock'}"
    assert (settings.host, settings.port, settings.worker_concurrency) == ("127.0.0.1", 8000, 1)


def test_environment_variables_configure_a_team_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSE_DATABASE_URL", "postgresql+psycopg://dse@db:5432/dse")
    monkeypatch.setenv("DSE_BROKER_URL", "redis://broker:6379/0")
    monkeypatch.setenv("DSE_PORT", "9000")
    monkeypatch.setenv("DSE_WORKER_CONCURRENCY", "4")
    settings = Settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://dse@db:5432/dse"
    assert settings.celery_broker_url == "redis://broker:6379/0"
    assert not settings.embedded_broker
    assert (settings.port, settings.worker_concurrency) == (9000, 4)


def test_blank_urls_mean_the_embedded_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSE_DATABASE_URL", "")
    monkeypatch.setenv("DSE_BROKER_URL", "")
    settings = Settings()
    assert settings.sqlalchemy_url.startswith("sqlite:///")
    assert settings.embedded_broker


@pytest.mark.parametrize(("variable", "value"), [("DSE_PORT", "0"), ("DSE_PORT", "http"),
                                                 ("DSE_WORKER_CONCURRENCY", "0")])
def test_bad_values_are_rejected_with_the_field_named(monkeypatch: pytest.MonkeyPatch, variable: str,
                                                      value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as info:
        Settings()
    assert variable.removeprefix("DSE_").lower() in str(info.value)
