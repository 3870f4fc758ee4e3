"""``[keystone]`` and ``[cloud] auth = "trust"``: completed from clouds.yaml, defaulted, and refused when incomplete."""

from __future__ import annotations

import pytest
import yaml

from orchestrator.config import ConfigError, load_settings

TRUST_MODE = {"ORCHESTRATOR_CLOUD__AUTH": "trust", "ORCHESTRATOR_API__AUTH": "keystone"}
SERVICE_USER = {"ORCHESTRATOR_KEYSTONE__AUTH_URL": "http://keystone.example:5000/v3",
                "ORCHESTRATOR_KEYSTONE__USERNAME": "orchestrator", "ORCHESTRATOR_KEYSTONE__PASSWORD": "pw"}


def settings(tmp_path, **environ):
    return load_settings(environ={"HOME": str(tmp_path), **environ})


def test_without_keystone_nothing_changes(tmp_path):
    loaded = settings(tmp_path)
    assert (loaded.cloud.auth, loaded.api.keystone_url, loaded.keystone.auth_url) == ("shared", "", "")


def test_the_service_user_gets_heats_defaults_and_keystone_url_follows_auth_url(tmp_path):
    loaded = settings(tmp_path, **TRUST_MODE, **SERVICE_USER)
    keystone = loaded.keystone
    assert (keystone.user_domain_name, keystone.project_name, keystone.project_domain_name, keystone.interface) == (
        "Default", "service", "Default", "public")
    assert loaded.api.keystone_url == "http://keystone.example:5000/v3"
    explicit = settings(tmp_path, **TRUST_MODE, **SERVICE_USER, ORCHESTRATOR_API__KEYSTONE_URL="http://other/v3")
    assert explicit.api.keystone_url == "http://other/v3", "a keystone_url of its own is kept"


def test_a_clouds_yaml_entry_gives_what_the_section_leaves_empty(tmp_path, monkeypatch):
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"svc": {
        "auth": {"auth_url": "http://keystone.example:5000/v3", "username": "orchestrator", "password": "pw",
                 "project_name": "services", "user_domain_id": "default", "project_domain_id": "default"},
        "region_name": "RegionTwo", "interface": "internal", "cacert": "/etc/ca.pem"}}}))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    loaded = settings(tmp_path, **TRUST_MODE, ORCHESTRATOR_KEYSTONE__CLOUD="svc",
                      ORCHESTRATOR_KEYSTONE__PASSWORD="from-config")
    keystone = loaded.keystone
    assert (keystone.auth_url, keystone.username, keystone.password, keystone.project_name) == (
        "http://keystone.example:5000/v3", "orchestrator", "from-config", "services")
    assert (keystone.region_name, keystone.interface, keystone.cafile) == ("RegionTwo", "internal", "/etc/ca.pem")
    assert (keystone.user_domain_id, keystone.user_domain_name) == ("default", ""), "an id needs no default name"
    assert loaded.api.keystone_url == "http://keystone.example:5000/v3"


@pytest.mark.parametrize("environ, message", [
    (TRUST_MODE, "cloud.auth is trust but keystone.auth_url, keystone.username, keystone.password is not set"),
    ({**SERVICE_USER, "ORCHESTRATOR_CLOUD__AUTH": "trust"}, "cloud.auth is trust, which needs api.auth = keystone"),
    ({**TRUST_MODE, **SERVICE_USER, "ORCHESTRATOR_CLOUD__NAME": "mycloud"}, "cloud.name and cloud.sandbox_url must "
                                                                             "not be set"),
    ({"ORCHESTRATOR_CLOUD__AUTH": "admin"}, "setting cloud.auth must be shared or trust, not 'admin'"),
])
def test_an_incomplete_trust_mode_is_refused_saying_what_is_missing(tmp_path, environ, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        settings(tmp_path, **environ)


def test_an_unknown_cloud_is_named(tmp_path, monkeypatch):
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"svc": {"auth": {"auth_url": "http://k/v3"}}}}))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    with pytest.raises(ConfigError, match="keystone.cloud: .*nope"):
        settings(tmp_path, ORCHESTRATOR_KEYSTONE__CLOUD="nope")
