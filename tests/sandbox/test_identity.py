"""Keystone v3 in the sandbox: what keystoneauth1 and openstacksdk need from it."""

from __future__ import annotations

import pytest
from keystoneauth1 import exceptions as ksa_exceptions

from orchestrator.sandbox.adapter import IN_PROCESS_URL

SERVICE_TYPES = {"identity", "compute", "image", "network", "block-storage", "load-balancer", "metric", "alarming",
                 "metering"}


def test_password_auth_gives_a_project_scoped_token_and_a_catalog_of_every_service(cloud):
    connection = cloud.connect_as("demo", "demo")
    token = connection.session.get_token()
    assert token
    access = connection.session.auth.get_access(connection.session)
    assert access.project_name == "demo"
    assert set(access.role_names) == {"member", "reader"}
    assert {entry["type"] for entry in access.service_catalog.catalog} == SERVICE_TYPES


def test_every_service_is_found_through_version_discovery(cloud):
    connection = cloud.connect("demo")
    project = connection.current_project_id
    assert connection.compute.get_endpoint() == f"{IN_PROCESS_URL}/compute/v2.1"
    assert connection.network.get_endpoint() == f"{IN_PROCESS_URL}/network/v2.0"
    assert connection.block_storage.get_endpoint() == f"{IN_PROCESS_URL}/volume/v3/{project}"
    assert connection.image.get_endpoint().rstrip("/") == f"{IN_PROCESS_URL}/image/v2"


def test_a_wrong_password_is_401(cloud):
    http = cloud.http()
    response = http.post(f"{IN_PROCESS_URL}/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "domain": {"id": "default"}, "password": "wrong"}}},
        "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}}})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 401
    with pytest.raises(ksa_exceptions.Unauthorized):
        cloud.connect_as("demo", "admin").session.get_token()  # demo has no role in admin


def test_a_token_validates_and_revoked_it_does_not(cloud):
    connection = cloud.connect_as("demo", "demo")
    token = connection.session.get_token()
    http = cloud.http()
    admin_token = cloud.connect_as("admin", "admin").session.get_token()
    url = f"{IN_PROCESS_URL}/identity/v3/auth/tokens"
    shown = http.get(url, headers={"X-Auth-Token": admin_token, "X-Subject-Token": token})
    assert shown.status_code == 200
    assert shown.json()["token"]["project"]["name"] == "demo"
    assert http.delete(url, headers={"X-Auth-Token": admin_token, "X-Subject-Token": token}).status_code == 204
    assert http.get(url, headers={"X-Auth-Token": admin_token, "X-Subject-Token": token}).status_code == 404


def test_services_refuse_requests_without_a_valid_token(cloud):
    http = cloud.http()
    assert http.get(f"{IN_PROCESS_URL}/identity/v3/projects").status_code == 401
    assert http.get(f"{IN_PROCESS_URL}/identity/v3/projects", headers={"X-Auth-Token": "nope"}).status_code == 401


def test_the_engine_acts_in_a_project_named_like_the_apis_with_member_rights_only(cloud):
    connection = cloud.connect("alpha")
    access = connection.session.auth.get_access(connection.session)
    assert access.project_name == "alpha" and access.role_names == ["member"]
    assert cloud.connect("alpha") is connection, "one connection per project, kept"
