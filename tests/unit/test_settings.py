"""Settings come from the environment, with defaults that run the bot on a laptop."""
import pytest

from bot import settings


def test_defaults_need_no_server(monkeypatch, tmp_path):
    for name in ("CLINIC_PHONE", "CLINIC_NAME", "DATABASE_URL", "LOCK_STORE_URL", "RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOT_VAR_DIR", str(tmp_path))
    config = settings.load()
    assert config.clinic_phone == "844-288-7474"
    assert config.database_url == f"sqlite:///{tmp_path / 'assistant.db'}"
    assert config.lock_store_url == ""
    assert config.retention_days == 90


def test_clinic_phone_is_configurable(monkeypatch):
    monkeypatch.setenv("CLINIC_PHONE", "555-010-0199")
    config = settings.load()
    assert config.clinic_phone == "555-010-0199"
    assert config.tel_uri == "tel:+15550100199"


@pytest.mark.parametrize("bad", ["8442887474", "(844) 288-7474", "call us"])
def test_malformed_phone_is_refused_at_start(monkeypatch, bad):
    monkeypatch.setenv("CLINIC_PHONE", bad)
    with pytest.raises(ValueError, match="CLINIC_PHONE"):
        settings.load()


def test_bad_number_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("RETENTION_DAYS", "ninety")
    with pytest.raises(ValueError, match="RETENTION_DAYS"):
        settings.load()


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "EST5EDT/../x", "new york"])
def test_clinic_timezone_must_be_an_iana_name(monkeypatch, bad):
    monkeypatch.setenv("CLINIC_TIMEZONE", bad)
    with pytest.raises(ValueError, match="CLINIC_TIMEZONE"):
        settings.load()


def test_clinic_timezone_is_read(monkeypatch):
    monkeypatch.setenv("CLINIC_TIMEZONE", "America/Los_Angeles")
    assert settings.load().clinic_zone.key == "America/Los_Angeles"
    assert settings.Settings().clinic_timezone == "America/New_York"


def test_hash_key_is_not_shown_in_repr(monkeypatch):
    monkeypatch.setenv("SENDER_HASH_KEY", "s3cret-key")
    assert "s3cret-key" not in repr(settings.load())


def test_settings_survive_the_trip_to_a_child_process(monkeypatch, tmp_path):
    monkeypatch.setenv("CLINIC_PHONE", "555-010-0199")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    original = settings.load()
    for name, value in original.as_env().items():
        monkeypatch.setenv(name, value)
    assert settings.load() == original


def test_env_example_is_generated_from_the_declarations():
    written = (settings.PROJECT_ROOT / ".env.example").read_text()
    assert written == settings.env_example(), "run: python -m bot settings --env-example > .env.example"


def test_readme_settings_table_matches_the_declarations():
    readme = (settings.PROJECT_ROOT / "README.md").read_text()
    assert settings.markdown_table() in readme, "paste `python -m bot settings --markdown` into README.md"


def test_secrets_are_never_written_as_examples():
    for env, _, meta in settings.declarations():
        if meta["secret"] and env != "DATABASE_URL":
            assert f"# {env}=\n" in settings.env_example()


def test_the_development_hash_key_is_refused_with_postgresql(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot@127.0.0.1:5432/assistant")
    monkeypatch.delenv("SENDER_HASH_KEY", raising=False)
    with pytest.raises(ValueError, match="SENDER_HASH_KEY is the development key"):
        settings.load()
    from bot.cli import main

    assert main(["run"]) == 2  # `make run` stops before starting anything, and says why
    assert "SENDER_HASH_KEY is the development key" in capsys.readouterr().err
    monkeypatch.setenv("SENDER_HASH_KEY", "a-long-random-production-key")
    assert settings.load().sender_hash_key == "a-long-random-production-key"


def test_the_action_server_reaches_rasa_at_RASA_URL_else_on_this_machine(monkeypatch):
    monkeypatch.delenv("RASA_URL", raising=False)
    monkeypatch.setenv("RASA_PORT", "5111")
    assert settings.load().rasa_api_url == "http://localhost:5111"
    monkeypatch.setenv("RASA_URL", "http://rasa.internal:5005/")
    assert settings.load().rasa_api_url == "http://rasa.internal:5005"
