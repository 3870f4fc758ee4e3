"""``orchestrator sandbox load SERVER|GROUP LEVEL`` against a sandbox served over real HTTP, and the alarm
evaluation interval ``orchestrator sandbox serve`` needs."""

from __future__ import annotations

from click.testing import CliRunner

from orchestrator.cli import main
from orchestrator.sandbox.telemetry.load import cpu_percent
from tests.sandbox.cloud import sandbox_cloud


def _load(*args: str, env: dict | None = None):
    result = CliRunner(env=env or {}).invoke(main, ["sandbox", "load", *args])
    return result.exit_code, result.stdout, result.stderr


def _boot(connection, name: str, group: str) -> str:
    image = connection.image.find_image("cirros", ignore_missing=False)
    return connection.compute.create_server(name=name, image_id=image.id, flavor_id="1", networks="none",
                                            metadata={"metering.server_group": group}).id


def test_the_command_sets_a_groups_load_and_says_what_changed():
    with sandbox_cloud(over_http=True) as cloud:
        connection = cloud.connect("demo")
        first, second = _boot(connection, "web-1", "scaling"), _boot(connection, "web-2", "scaling")
        code, out, err = _load("--url", cloud.url, "scaling", "85")
        assert code == 0, err
        assert sorted(out.splitlines()) == ["(servers that join group scaling later run at 85 % too)",
                                            f"web-1 ({first}): load 5 % -> 85 %",
                                            f"web-2 ({second}): load 5 % -> 85 %"]
        now = cloud.store.clock()
        assert (cpu_percent(cloud.store, first, now), cpu_percent(cloud.store, second, now)) == (85.0, 85.0)
        # the configured [cloud] sandbox_url is where it goes without --url
        code, out, err = _load("web-2", "20", env={"ORCHESTRATOR_CLOUD__SANDBOX_URL": cloud.url})
        assert (code, out) == (0, f"web-2 ({second}): load 85 % -> 20 %\n"), err


def test_the_command_says_why_it_could_not():
    with sandbox_cloud(over_http=True) as cloud:
        code, _, err = _load("--url", cloud.url, "nothing", "50")
        assert code == 1 and "refused: No sandbox server has the id or name 'nothing'" in err, err
    code, _, err = _load("--url", cloud.url, "nothing", "50")  # the sandbox has stopped
    assert code == 1 and f"cannot reach the sandbox at {cloud.url}" in err, err
    code, _, err = _load("--url", cloud.url, "web", "150")
    assert code == 2 and "150" in err, err


def test_serving_a_sandbox_needs_a_positive_evaluation_interval(tmp_path):
    result = CliRunner(env={"ORCHESTRATOR_SANDBOX__ALARM_EVALUATION_SECONDS": "0"}).invoke(
        main, ["sandbox", "serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "[sandbox] alarm_evaluation_seconds must be a positive number of seconds, not 0.0" in result.stderr
