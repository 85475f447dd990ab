"""A scratch database for migration tests: an app on an empty database (a sibling of
TEST_DATABASE_URL on PostgreSQL, a file on SQLite) migrated to the revision just before the one
under test, in its app context. `config.attributes["before"]` names that revision."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db as _db
from tests.conftest import _reset_postgres


@contextmanager
def scratch_database(app, tmp_path, revision: str) -> Iterator:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        parsed = make_url(url)
        url = parsed.set(database=f"{parsed.database}_scratch").render_as_string(hide_password=False)
        _reset_postgres(url)
    else:
        url = "sqlite:///" + str(tmp_path / "scratch.db")
    scratch_app = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": url})
    with scratch_app.app_context():
        config = scratch_app.extensions["migrate"].migrate.get_config()
        config.attributes["before"] = ScriptDirectory.from_config(config).get_revision(revision).down_revision
        command.upgrade(config, config.attributes["before"])
        try:
            yield config
        finally:
            _db.session.remove()
            _db.engine.dispose()
