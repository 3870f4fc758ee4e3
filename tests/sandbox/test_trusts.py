"""Keystone's OS-TRUST in the sandbox, with the answers the real Keystone (Zed) gives.

Each status and message asserted here was first observed on the minicloud's
Keystone (a trust from ``demo`` to a service user, then every refusal).
"""

from __future__ import annotations

import pytest
from keystoneauth1 import exceptions as ksa_exceptions
from keystoneauth1 import session as ksa_session
from keystoneauth1.identity import v3

from orchestrator.clients import connect
from orchestrator.sandbox.adapter import IN_PROCESS_URL
from orchestrator.sandbox.identity import add_project, add_user

AUTH_URL = f"{IN_PROCESS_URL}/identity/v3"
TRUSTS = f"{AUTH_URL}/OS-TRUST/trusts"


def add_member(cloud, user_name: str, project_name: str) -> str:
    """A new user holding the member role in project ``project_name`` (made if missing); its id."""
    with cloud.app.app_context():
        found = cloud.store.list("project", where=lambda p: p["name"] == project_name)
        project = found[0] if found else add_project(project_name)
        user = add_user(user_name, cloud.settings.password, project["id"])
        member = cloud.store.list("role", where=lambda role: role["name"] == "member")[0]
        cloud.store.add("assignment", {"user_id": user["id"], "project_id": project["id"], "role_id": member["id"]})
    return user["id"]


@pytest.fixture
def trustee(cloud) -> str:
    """A service user ``orchestrator`` in project ``service`` (the trustee); its id."""
    return add_member(cloud, "orchestrator", "service")


def session(cloud, user: str, project: str | None = None, trust: str | None = None) -> ksa_session.Session:
    scope = {"trust_id": trust} if trust else {"project_name": project, "project_domain_id": "default"}
    auth = v3.Password(auth_url=AUTH_URL, username=user, password=cloud.settings.password,
                       user_domain_id="default", **scope)
    return ksa_session.Session(auth=auth, session=cloud.http())


def make_trust(demo: ksa_session.Session, trustee: str, **changes) -> tuple[int, dict]:
    body = {"trustor_user_id": demo.get_user_id(), "trustee_user_id": trustee, "project_id": demo.get_project_id(),
            "impersonation": True, "roles": [{"name": "member"}], **changes}
    response = demo.post(TRUSTS, json={"trust": body}, raise_exc=False)
    return response.status_code, response.json()


def test_a_trust_scoped_token_stands_for_the_trustor_in_the_trust_project(cloud, trustee):
    demo = session(cloud, "demo", "demo")
    status, body = make_trust(demo, trustee)
    assert status == 201, body
    trust = body["trust"]
    assert (trust["trustor_user_id"], trust["trustee_user_id"], trust["impersonation"]) == (
        demo.get_user_id(), trustee, True)
    assert [role["name"] for role in trust["roles"]] == ["member"]
    scoped = session(cloud, "orchestrator", trust=trust["id"])
    access = scoped.auth.get_access(scoped)
    assert access.trust_scoped and access.trust_id == trust["id"]
    assert (access.user_id, access.project_id, access.role_names) == (demo.get_user_id(), demo.get_project_id(),
                                                                      ["member"])
    # the trust-scoped token acts in the trustor's project, as the trustor
    connection = cloud.connect_as("demo", "demo")
    network = connection.network.create_network(name="mine")
    acting = connect(scoped)
    assert [n.id for n in acting.network.networks(name="mine")] == [network.id]
    shown = cloud.http().get(f"{AUTH_URL}/auth/tokens", headers={"X-Auth-Token": demo.get_token(),
                                                                 "X-Subject-Token": scoped.get_token()})
    assert shown.json()["token"]["OS-TRUST:trust"] == {
        "id": trust["id"], "trustor_user": {"id": demo.get_user_id()}, "trustee_user": {"id": trustee},
        "impersonation": True}


@pytest.mark.parametrize("changes, status, message", [
    ({"roles": [{"name": "admin"}]}, 404, "Could not find role: "),
    ({"roles": [{"name": "nosuchrole"}]}, 404, "Role nosuchrole is not defined"),
    ({"roles": []}, 403, "You are not authorized to perform the requested action: At least one role should be "
                         "specified."),
    ({"trustee_user_id": "nope"}, 404, "Could not find user: nope."),
    ({"trustor_user_id": "someone-else"}, 403,
     "You are not authorized to perform the requested action: identity:create_trust."),
])
def test_keystone_refusals_of_a_trust(cloud, trustee, changes, status, message):
    got, body = make_trust(session(cloud, "demo", "demo"), trustee, **changes)
    assert got == status, body
    assert body["error"]["message"].startswith(message)


def test_a_trust_without_impersonation_is_a_400(cloud, trustee):
    demo = session(cloud, "demo", "demo")
    body = {"trustor_user_id": demo.get_user_id(), "trustee_user_id": trustee, "project_id": demo.get_project_id(),
            "roles": [{"name": "member"}]}
    response = demo.post(TRUSTS, json={"trust": body}, raise_exc=False)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "'impersonation' is a required property"


def test_only_the_trustee_authenticates_with_a_trust(cloud, trustee):
    _, body = make_trust(session(cloud, "demo", "demo"), trustee)
    with pytest.raises(ksa_exceptions.Forbidden):
        session(cloud, "admin", trust=body["trust"]["id"]).get_token()


def test_who_may_read_and_delete_a_trust(cloud, trustee):
    demo = session(cloud, "demo", "demo")
    trust_id = make_trust(demo, trustee)[1]["trust"]["id"]
    url = f"{TRUSTS}/{trust_id}"
    add_member(cloud, "other", "demo")
    other = session(cloud, "other", "demo")
    service = session(cloud, "orchestrator", "service")
    scoped = session(cloud, "orchestrator", trust=trust_id)
    assert service.get(url, raise_exc=False).status_code == 200, "the trustee reads it"
    refused = other.get(url, raise_exc=False)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == ("You are not authorized to perform the requested action: "
                                                  "identity:get_trust.")
    assert other.delete(url, raise_exc=False).status_code == 403
    assert service.delete(url, raise_exc=False).status_code == 403, "the trustee's own token may not delete it"
    token = scoped.get_token()
    assert scoped.delete(url, raise_exc=False).status_code == 204, "a token scoped to it stands for the trustor"
    gone = demo.get(url, raise_exc=False)
    assert (gone.status_code, gone.json()["error"]["message"]) == (404, f"Could not find trust: {trust_id}.")
    assert demo.delete(url, raise_exc=False).status_code == 404
    # the trust's tokens stop working, and it gives no more
    check = cloud.http().get(f"{AUTH_URL}/auth/tokens", headers={"X-Auth-Token": demo.get_token(),
                                                                 "X-Subject-Token": token})
    assert check.status_code == 404
    assert cloud.http().get(f"{AUTH_URL}/projects", headers={"X-Auth-Token": token}).status_code == 401
    with pytest.raises(ksa_exceptions.Unauthorized):
        session(cloud, "orchestrator", trust=trust_id).get_token()


def test_a_trust_whose_trustor_lost_the_role_is_refused(cloud, trustee):
    demo = session(cloud, "demo", "demo")
    trust_id = make_trust(demo, trustee)[1]["trust"]["id"]
    member = cloud.store.list("role", where=lambda role: role["name"] == "member")[0]
    cloud.store.remove_all("assignment", [a["id"] for a in cloud.store.list(
        "assignment", where=lambda a: a["user_id"] == demo.get_user_id() and a["role_id"] == member["id"])])
    with pytest.raises(ksa_exceptions.Forbidden):
        session(cloud, "orchestrator", trust=trust_id).get_token()


def test_a_trust_scoped_token_validates_no_token(cloud, trustee):
    demo = session(cloud, "demo", "demo")
    scoped = session(cloud, "orchestrator", trust=make_trust(demo, trustee)[1]["trust"]["id"])
    token = scoped.get_token()
    response = cloud.http().get(f"{AUTH_URL}/auth/tokens", headers={"X-Auth-Token": token, "X-Subject-Token": token})
    assert response.status_code == 403


def test_listing_trusts_by_trustor(cloud, trustee):
    demo = session(cloud, "demo", "demo")
    trust_id = make_trust(demo, trustee)[1]["trust"]["id"]
    mine = demo.get(f"{TRUSTS}?trustor_user_id={demo.get_user_id()}").json()["trusts"]
    assert [trust["id"] for trust in mine] == [trust_id]
    assert demo.get(TRUSTS, raise_exc=False).status_code == 403, "listing every trust is for admins"
