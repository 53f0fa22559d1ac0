"""Settings: defaults that work with no account, and one clear line per bad value."""

import pytest

from l2c_app.core.config import SettingsError, load_settings


def settings(tmp_path, **env):
    return load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", **env}, dotenv=tmp_path / "none.env")


def test_defaults_are_the_embedded_setup(tmp_path):
    s = load_settings({}, dotenv=tmp_path / "none.env")
    assert s.is_sqlite and s.database_url.endswith("/l2c.db")
    assert s.redis_url is None and not s.stripe_enabled and not s.docusign_enabled and s.smtp_url is None
    assert s.app_base_url == "http://localhost:3000"


def test_secret_key_generated_once_beside_the_database(tmp_path):
    first = settings(tmp_path).secret_key
    assert len(first) >= 32 and settings(tmp_path).secret_key == first
    assert (tmp_path / ".l2c_secret_key").stat().st_mode & 0o077 == 0


def test_postgres_urls_use_psycopg3(tmp_path):
    s = load_settings({"DATABASE_URL": "postgresql://u@db:5432/l2c", "SECRET_KEY": "x" * 20}, dotenv=tmp_path / "n")
    assert s.database_url == "postgresql+psycopg://u@db:5432/l2c"


@pytest.mark.parametrize(
    "name,value",
    [
        ("DATABASE_URL", "mysql://x/y"),
        ("DATABASE_URL", "nonsense"),
        ("REDIS_URL", "http://localhost:6379"),
        ("APP_BASE_URL", "localhost:3000"),
        ("SECRET_KEY", "short"),
        ("STRIPE_API_KEY", "pk_live_123"),
        ("STRIPE_WEBHOOK_SECRET", "secret"),
        ("STRIPE_API_BASE", "ftp://x"),
        ("SMTP_URL", "mail.example.com"),
        ("DOCUSIGN_PRIVATE_KEY_FILE", "/nonexistent/key.pem"),
        ("SESSION_HOURS", "-3"),
    ],
)
def test_bad_value_names_the_variable(tmp_path, name, value):
    with pytest.raises(SettingsError) as exc:
        settings(tmp_path, **{name: value})
    message = str(exc.value)
    assert name in message and "\n" not in message


def test_dotenv_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text('# comment\nAPP_BASE_URL="https://l2c.example.com"\nREDIS_URL=redis://localhost:6379/0\n')
    s = load_settings(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "REDIS_URL": "redis://other:6379"}, dotenv=env_file
    )
    assert s.app_base_url == "https://l2c.example.com" and s.redis_url == "redis://other:6379"


def test_docusign_hmac_keys_may_rotate(tmp_path):
    s = settings(tmp_path, DOCUSIGN_CONNECT_HMAC_KEY="old, new")
    assert s.docusign_connect_hmac_keys == ("old", "new")


def test_cli_stops_with_one_line_naming_the_bad_setting(monkeypatch, capsys):
    from l2c_app.cli import main
    from l2c_app.core.config import reset_settings

    monkeypatch.setenv("APP_BASE_URL", "not a url")
    reset_settings()
    try:
        assert main(["db", "upgrade"]) == 2
    finally:
        reset_settings()
    err = capsys.readouterr().err.strip()
    assert err.startswith("l2c: APP_BASE_URL") and "\n" not in err
