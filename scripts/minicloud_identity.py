"""The minicloud's users for the orchestrator's keystone mode, made idempotently through its admin cloud.

Usage: minicloud_identity.py CLOUDS_YAML

* ``orchestrator`` in project ``service`` with the ``service`` role: the
  service user that every stack's Keystone trust delegates to (the trustee).
  It needs no ``admin`` role: users make the trusts with their own tokens,
  and the trust-scoped tokens that act and delete them are the users' own.
* ``alt_demo``, a member of project ``alt_demo``: a second non-admin user in
  another project, for the tests that check one project cannot reach
  another's stacks.

Both get a cloud in CLOUDS_YAML (``minicloud-orchestrator``, ``minicloud-alt``)
beside the ``minicloud-admin`` entry the others copy, so that
``orchestrator serve --keystone minicloud-orchestrator`` finds its service user.
"""

from __future__ import annotations

import sys
from pathlib import Path

import openstack
import yaml

PASSWORD = "secret"
#: cloud name in clouds.yaml → (user, project, roles it holds there)
USERS = {
    "minicloud-orchestrator": ("orchestrator", "service", ("service",)),
    "minicloud-alt": ("alt_demo", "alt_demo", ("member", "reader", "load-balancer_member")),
}


def ensure_user(admin, user_name: str, project_name: str, roles: tuple[str, ...]) -> None:
    """The user, its project and its roles there, each made only when missing."""
    identity = admin.identity
    domain = identity.find_domain("default", ignore_missing=False)
    project = (identity.find_project(project_name, domain_id=domain.id)
               or identity.create_project(name=project_name, domain_id=domain.id))
    user = identity.find_user(user_name, domain_id=domain.id) or identity.create_user(
        name=user_name, password=PASSWORD, domain_id=domain.id, default_project_id=project.id)
    for role_name in roles:
        role = identity.find_role(role_name) or identity.create_role(name=role_name)
        # granting a role already held changes nothing
        identity.assign_project_role_to_user(project, user, role)


def main(clouds_yaml: Path) -> None:
    clouds = yaml.safe_load(clouds_yaml.read_text())
    admin_entry = clouds["clouds"]["minicloud-admin"]
    admin = openstack.connect(**admin_entry)
    try:
        for cloud, (user, project, roles) in USERS.items():
            ensure_user(admin, user, project, roles)
            entry = {**admin_entry, "auth": {**admin_entry["auth"], "username": user, "password": PASSWORD,
                                             "project_name": project}}
            clouds["clouds"][cloud] = entry
    finally:
        admin.close()
    clouds_yaml.write_text(yaml.safe_dump(clouds, default_flow_style=False, sort_keys=False))
    print(f"minicloud users ok: {', '.join(user for user, _, _ in USERS.values())}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: minicloud_identity.py CLOUDS_YAML")
    main(Path(sys.argv[1]))
