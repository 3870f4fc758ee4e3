"""The sandbox against a real cloud: the same openstacksdk sequence on both, the fields and statuses compared.

The sandbox must show every field the real services show, and its
statuses must come in an order the real services also go through (it may
skip transient ones, as a quick real cloud can).  It may show a few fields
more, where the real services show them only with an extension loaded;
those are listed here and in docs/operations.md.
"""

from __future__ import annotations

import pytest

from tests.sandbox.cloud import sandbox_cloud

from .conftest import Cloud
from .fidelity import record

#: fields the sandbox shows that a cloud shows only with the extension that adds them
EXTENSION_FIELDS = {
    "subnet": {"dns_publish_fixed_ip", "segment_id"},        # subnet_dns_publish_fixed_ip, segment
    "port": {"propagate_uplink_status", "resource_request"},  # uplink-status-propagation, port-resource-request
}


def _in_order(shorter: list[str], longer: list[str]) -> bool:
    """Whether ``shorter`` is ``longer`` with some items left out."""
    remaining = iter(longer)
    return all(item in remaining for item in shorter)


def test_the_sandbox_shows_the_fields_and_statuses_of_the_real_services(cloud: Cloud):
    if cloud.is_sandbox:
        pytest.skip("compares a real cloud (OS_CLOUD) with the sandbox; this run's cloud is the sandbox")
    real = record(cloud.connection, cloud.image, cloud.flavor)
    with sandbox_cloud(build_seconds=1.0, delete_seconds=0.5) as sandbox:
        emulated = record(sandbox.connect_as("demo", "demo"), "cirros", "m1.tiny")
    differences = {}
    for kind, seen in real.items():
        mine = emulated[kind]
        missing = seen.fields - mine.fields
        extra = mine.fields - seen.fields - EXTENSION_FIELDS.get(kind, set())
        if missing or extra or not _in_order(mine.statuses, seen.statuses):
            differences[kind] = {"missing": sorted(missing), "extra": sorted(extra),
                                 "statuses": {"cloud": seen.statuses, "sandbox": mine.statuses}}
    assert differences == {}
