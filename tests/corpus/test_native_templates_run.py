"""Corpus templates whose resources are all native types run to completion on the engine.

The held-out check of the engine: real templates written for Heat, created
and deleted as they are (with parameter values where they have none), on a
real engine and database.  Files are gathered as the openstack client does.
"""

from __future__ import annotations

import pytest

from orchestrator.engine.requests import StackRequest
from orchestrator.template.files import gather

from .conftest import corpus_root

pytestmark = pytest.mark.corpus

# template -> parameters it needs (the corpus leaves them to the user)
NATIVE = {
    "hot/condition.yaml": {},
    "hot/condition.yaml#prod": {"env_type": "prod", "zone": "xian"},
    "hot/resource_group/random.yaml": {"lengths": "8,12,16", "index": 1},
    "hot/resource_group/resource_group.yaml": {},
    "hot/resource_group/resource_group_index_lookup.yaml": {},
    "hot/software-config/boot-config/templates/install_container_agent.yaml": {},
}


@pytest.mark.parametrize("case", sorted(NATIVE))
def test_native_template_creates_and_deletes(harness, case):
    path = case.split("#")[0]
    bundle = gather(str(corpus_root() / path))
    assert bundle.problems == []
    request = StackRequest(name="corpus", template=bundle.template.data, files=bundle.files,
                           parameters=NATIVE[case])
    job = harness.engine.create_stack(request)
    harness.run(job)
    row = harness.stack(job.stack_id)
    assert (row.action, row.status) == ("CREATE", "COMPLETE"), row.status_reason
    harness.outputs(job.stack_id)  # every output resolves
    assert harness.delete(job.stack_id)
    assert harness.state(job.stack_id) == "DELETE_COMPLETE"


def test_resource_group_outputs_of_the_corpus(harness):
    bundle = gather(str(corpus_root() / "hot/resource_group/resource_group.yaml"))
    job = harness.engine.create_stack(StackRequest(name="rg", template=bundle.template.data))
    harness.run(job)
    values = {name: harness.output(job.stack_id, name)
              for name in ("resource1_id", "resource1_value", "resource2_value", "all_values")}
    assert len(values["resource1_id"]) == 32 and values["resource1_id"] == values["resource1_value"]
    assert values["all_values"] == [values["resource1_value"], values["resource2_value"]]
