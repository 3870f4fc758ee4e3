"""``orchestrator db …`` and the ``[service]``/``[database]`` settings it reads."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from orchestrator.cli import main
from orchestrator.config import ConfigError, load_settings
from orchestrator.db.migrate import MIGRATIONS

HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
TABLES = {"stack", "resource", "event", "raw_template", "stack_lock", "snapshot"}


def tables(path: Path) -> set[str]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def db(*args: str, url: str | None = None, env: dict | None = None):
    environment = dict(env or {})
    if url is not None:
        environment["ORCHESTRATOR_DATABASE__URL"] = url
    result = CliRunner(env=environment).invoke(main, ["db", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def no_config_file(tmp_path, monkeypatch):
    """Run where no orchestrator.toml lies around, with no settings from the caller's environment."""
    monkeypatch.chdir(tmp_path)
    for name in [name for name in os.environ if name.startswith("ORCHESTRATOR_")]:
        monkeypatch.delenv(name)


# -- settings -------------------------------------------------------------------------------


def test_the_default_database_is_a_sqlite_file_in_the_xdg_data_directory():
    settings = load_settings(environ={"XDG_DATA_HOME": "/srv/data", "HOME": "/home/ann"})
    assert settings.service.data_dir == "/srv/data/orchestrator"
    assert settings.database_url() == "sqlite:////srv/data/orchestrator/orchestrator.db"
    assert settings.database.pool_size == 10


def test_without_xdg_data_home_the_data_directory_is_under_home():
    assert load_settings(environ={"HOME": "/home/ann"}).service.data_dir == "/home/ann/.local/share/orchestrator"
    # The XDG specification: a relative XDG_DATA_HOME is invalid and ignored.
    relative = load_settings(environ={"HOME": "/home/ann", "XDG_DATA_HOME": "data"})
    assert relative.service.data_dir == "/home/ann/.local/share/orchestrator"


def test_database_settings_from_the_file_and_the_environment(tmp_path):
    config = tmp_path / "service.toml"
    config.write_text('[service]\ndata_dir = "~/state"\n'
                      '[database]\nurl = "postgresql+psycopg2://heat@db/heat"\npool_size = 25\n')
    settings = load_settings(config, environ={"HOME": "/home/ann"})
    assert settings.database_url() == "postgresql+psycopg2://heat@db/heat"
    assert settings.database.pool_size == 25
    assert settings.data_path == Path("~/state").expanduser()
    overridden = load_settings(config, environ={"ORCHESTRATOR_DATABASE__POOL_SIZE": "3",
                                                "ORCHESTRATOR_SERVICE__DATA_DIR": "/var/lib/orchestrator"})
    assert overridden.database.pool_size == 3
    assert overridden.service.data_dir == "/var/lib/orchestrator"


def test_a_data_directory_alone_moves_the_sqlite_file():
    settings = load_settings(environ={"ORCHESTRATOR_SERVICE__DATA_DIR": "/var/lib/orchestrator"})
    assert settings.database_url() == "sqlite:////var/lib/orchestrator/orchestrator.db"


def test_bad_database_settings_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="database.pool_size must be int"):
        load_settings(environ={"ORCHESTRATOR_DATABASE__POOL_SIZE": "many"})
    with pytest.raises(ConfigError, match="unknown setting database.uri"):
        load_settings(environ={"ORCHESTRATOR_DATABASE__URI": "sqlite://"})


# -- the command ------------------------------------------------------------------------------


def test_upgrade_current_downgrade_on_a_sqlite_file(tmp_path):
    path = tmp_path / "state.db"
    url = f"sqlite:///{path}"
    code, out, err = db("upgrade", url=url)
    assert (code, err) == (0, "")
    assert out == f"{url}: now at revision {HEAD} (head)\n"
    assert tables(path) == TABLES

    assert db("current", url=url) == (0, f"{HEAD} (head)\n", "")

    code, out, _ = db("downgrade", "base", url=url)
    assert code == 0
    assert out == f"{url}: now at revision none (empty database)\n"
    assert tables(path) == set()
    assert db("current", url=url) == (0, "none (empty database)\n", "")

    code, out, _ = db("upgrade", HEAD, url=url)
    assert code == 0 and tables(path) == TABLES


def test_upgrade_makes_the_default_data_directory(tmp_path):
    code, out, _ = db("upgrade", env={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert code == 0, out
    path = tmp_path / "xdg" / "orchestrator" / "orchestrator.db"
    assert out == f"sqlite:///{path}: now at revision {HEAD} (head)\n"
    assert tables(path) == TABLES


def test_current_on_a_missing_sqlite_file_says_what_to_do_and_creates_nothing(tmp_path):
    path = tmp_path / "missing" / "state.db"
    code, out, err = db("current", url=f"sqlite:///{path}")
    assert code == 1 and out == ""
    assert err == f"Error: no database at {path}: run 'orchestrator db upgrade' first\n"
    assert not path.parent.exists()


def test_an_unknown_revision_is_one_line_of_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    assert db("upgrade", url=url)[0] == 0
    code, _, err = db("downgrade", "nonesuch", url=url)
    assert code == 1
    assert err == "Error: Can't locate revision identified by 'nonesuch'\n"


def test_downgrade_needs_a_revision(tmp_path):
    code, _, err = db("downgrade", url=f"sqlite:///{tmp_path / 'state.db'}")
    assert code == 2 and "Missing argument 'REVISION'" in err


def test_an_unreachable_server_is_reported_without_its_password():
    code, out, err = db("current", url="postgresql+psycopg2://heat:s3cret@127.0.0.1:1/heat")
    assert code == 1 and out == ""
    assert err.startswith("Error: postgresql+psycopg2://heat:***@127.0.0.1:1/heat: ")
    assert "s3cret" not in err and "Traceback" not in err


def test_an_unknown_database_kind_is_reported():
    code, _, err = db("current", url="oracle+nonesuch://x@y/z")
    assert code == 1 and err.startswith("Error: cannot use database oracle+nonesuch://x@y/z: ")


def test_the_installed_command_reads_the_database_from_its_config_file(tmp_path):
    """What an operator runs: the console script, a config file, a real process."""
    command = shutil.which("orchestrator", path=str(Path(sys.executable).parent))
    assert command, "the orchestrator console script is not installed next to the interpreter"
    path = tmp_path / "from-config.db"
    config = tmp_path / "orchestrator.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{path}"\n')
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([command, "--config", str(config), "db", "upgrade"], capture_output=True, text=True,
                          env=environment, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"sqlite:///{path}: now at revision {HEAD} (head)\n"
    assert tables(path) == TABLES
    done = subprocess.run([command, "--config", str(config), "db", "current"], capture_output=True, text=True,
                          env=environment, timeout=60)
    assert (done.returncode, done.stdout) == (0, f"{HEAD} (head)\n")
