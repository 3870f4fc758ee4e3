"""A resource's failure reason carries the cloud's own message."""

from __future__ import annotations

from openstack import exceptions

from orchestrator.engine.lifecycle import failure_reason


def test_an_openstacksdk_error_gives_the_clouds_text_not_its_status_line():
    error = exceptions.ConflictException(message="ConflictException: 409",
                                         details="Port 6f1c is still in use.")
    assert failure_reason("server", error) == "ConflictException: resources.server: Port 6f1c is still in use."


def test_other_errors_give_their_message():
    assert failure_reason("a", ValueError("bad value")) == "ValueError: resources.a: bad value"
