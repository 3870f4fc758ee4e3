"""Configuration: defaults that need nothing, a TOML file over them, environment variables over both."""

from __future__ import annotations

import pytest

from orchestrator.config import ConfigError, load_settings


def test_defaults_need_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={"HOME": str(tmp_path)})
    assert settings.limits.max_template_bytes == 512 * 1024
    assert settings.limits.max_nested_stack_depth == 5
    assert settings.plugins.plugin_dirs == ()
    assert settings.database_url().startswith("sqlite:///")


def test_file_then_environment(tmp_path):
    config = tmp_path / "orchestrator.toml"
    config.write_text('[limits]\nmax_template_bytes = 1000\nmax_nested_stack_depth = 3\n'
                      '[plugins]\nplugin_dirs = ["/a", "/b"]\n')
    settings = load_settings(config, environ={"ORCHESTRATOR_LIMITS__MAX_NESTED_STACK_DEPTH": "7"})
    assert settings.limits.max_template_bytes == 1000
    assert settings.limits.max_nested_stack_depth == 7, "the environment wins over the file"
    assert settings.plugins.plugin_dirs == ("/a", "/b")
    assert settings.template_limits().max_bytes == 1000


def test_a_list_from_the_environment_uses_the_path_separator(tmp_path):
    settings = load_settings(environ={"ORCHESTRATOR_PLUGINS__PLUGIN_DIRS": "/x:/y", "HOME": str(tmp_path)})
    assert settings.plugins.plugin_dirs == ("/x", "/y")


@pytest.mark.parametrize("text, message", [
    ("[limits]\nmax_template_bytes = \"big\"\n", "setting limits.max_template_bytes must be int, not 'big'"),
    ("[limits]\nnope = 1\n", "unknown setting limits.nope"),
    ("[nope]\nx = 1\n", "unknown setting nope"),
    ("[limits\n", "cannot read configuration file"),
])
def test_bad_configuration_is_named(tmp_path, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        load_settings(config, environ={})
