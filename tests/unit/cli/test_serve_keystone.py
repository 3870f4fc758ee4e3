"""``orchestrator serve --keystone [NAME]``: what it refuses before anything starts, and why."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from orchestrator.cli import main


def serve(tmp_path, *args: str, **environ: str):
    environment = {"HOME": str(tmp_path), "ORCHESTRATOR_SERVICE__DATA_DIR": str(tmp_path / "data"), **environ}
    result = CliRunner(env=environment).invoke(main, ["serve", "--port", "0", *args])
    return result.exit_code, result.output


def test_cloud_and_keystone_exclude_each_other(tmp_path):
    status, output = serve(tmp_path, "--cloud", "mycloud", "--keystone")
    assert status == 2 and "--cloud and --keystone exclude each other" in output


def test_keystone_without_a_service_user_says_what_is_missing(tmp_path):
    status, output = serve(tmp_path, "--keystone")
    assert status == 2
    assert "keystone.auth_url, keystone.username, keystone.password is not set" in output


def test_a_service_user_that_cannot_log_in_stops_the_start(tmp_path):
    clouds = tmp_path / "clouds.yaml"
    # nothing listens on port 9: Keystone cannot be reached
    clouds.write_text(yaml.safe_dump({"clouds": {"svc": {"auth": {
        "auth_url": "http://127.0.0.1:9/v3", "username": "orchestrator", "password": "pw",
        "user_domain_name": "Default", "project_name": "service", "project_domain_name": "Default"}}}}))
    status, output = serve(tmp_path, "--keystone", "svc", OS_CLIENT_CONFIG_FILE=str(clouds))
    assert status == 1 and "Keystone cannot be reached at http://127.0.0.1:9/v3" in output, output
