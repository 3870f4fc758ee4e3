"""Nova key pairs: imported or generated, kept per user."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from flask import request

from ..service import BadRequest, Conflict, OverQuota, body_of, caller, reply, store
from .api import admin_only, at_least, blueprint, now_iso, not_found, quota

_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ .@")


def _key_id(user_id: str, name: str) -> str:
    return f"{user_id}/{name}"


def fingerprint(public_key: str) -> str:
    """The MD5 fingerprint of an OpenSSH public key, colon-separated (as Nova shows it)."""
    parts = public_key.strip().split()
    try:
        blob = base64.b64decode(parts[1].encode(), validate=True)
    except (IndexError, ValueError):
        raise BadRequest("Keypair data is invalid: failed to generate fingerprint") from None
    digest = hashlib.md5(blob).hexdigest()  # noqa: S324 - the fingerprint format, not security
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def generate() -> tuple[str, str]:
    """A new RSA key pair: (private key PEM, OpenSSH public key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public_key = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH).decode()
    return private, f"{public_key} Generated-by-Nova"


def find(user_id: str, name: str) -> dict[str, Any] | None:
    """The user's key pair ``name``, if any."""
    return store().get("keypair", _key_id(user_id, name))


def _owner() -> str:
    wanted = request.args.get("user_id")
    if wanted and wanted != caller().user_id:
        admin_only("os_compute_api:os-keypairs:index")
        return wanted
    return caller().user_id


def _view(keypair: dict[str, Any], *, full: bool) -> dict[str, Any]:
    shown = {"name": keypair["name"], "public_key": keypair["public_key"], "fingerprint": keypair["fingerprint"]}
    if at_least(2):
        shown["type"] = keypair["type"]
    if full:
        shown.update({"user_id": keypair["user_id"], "id": keypair["number"], "created_at": keypair["created_at"],
                      "deleted": False, "deleted_at": None, "updated_at": None})
    return shown


@blueprint.route("/v2.1/os-keypairs", methods=["GET"])
def list_keypairs():
    owner = _owner()
    found = store().list("keypair", where=lambda k: k["user_id"] == owner)
    return reply({"keypairs": [{"keypair": _view(k, full=False)} for k in sorted(found, key=lambda k: k["name"])]})


@blueprint.route("/v2.1/os-keypairs/<name>", methods=["GET"])
def show_keypair(name: str):
    owner = _owner()
    keypair = find(owner, name)
    if keypair is None:
        raise not_found(f"Keypair {name} not found for user {owner}")
    return reply({"keypair": _view(keypair, full=True)})


@blueprint.route("/v2.1/os-keypairs", methods=["POST"])
def create_keypair():
    data = body_of("keypair")
    name = str(data.get("name") or "")
    if not name or len(name) > 255 or not set(name) <= _NAME_CHARS:
        raise BadRequest("Keypair data is invalid: Keypair name contains unsafe characters")
    owner = caller().user_id
    if data.get("user_id") and data["user_id"] != owner:
        admin_only("os_compute_api:os-keypairs:create")
        owner = data["user_id"]
    key_type = data.get("type", "ssh")
    if key_type not in ("ssh", "x509"):
        raise BadRequest(f"Invalid input for field/attribute type. Value: {key_type}. "
                         f"'{key_type}' is not one of ['ssh', 'x509']")
    objects = store()
    with objects.transaction():
        if objects.count("keypair", where=lambda k: k["user_id"] == owner) >= quota(caller().project_id,
                                                                                     "key_pairs"):
            raise OverQuota("Quota exceeded, too many key pairs.", status=403)
        if find(owner, name) is not None:
            raise Conflict(f"Key pair '{name}' already exists.")
        public_key = data.get("public_key")
        private_key = None
        if not public_key:
            if at_least(92):
                raise BadRequest("Invalid input for field/attribute keypair. Value: {'name': '%s'}. "
                                 "'public_key' is a required property" % name)
            private_key, public_key = generate()
        stored = {"id": _key_id(owner, name), "name": name, "user_id": owner, "type": key_type,
                  "public_key": public_key, "fingerprint": fingerprint(public_key), "created_at": now_iso(),
                  "number": objects.count("keypair") + 1}
        objects.add("keypair", stored, caller().project_id)
    shown = {**_view(stored, full=False), "user_id": owner}
    if private_key is not None:
        shown["private_key"] = private_key
    return reply({"keypair": shown}, 201 if at_least(2) else 200)


@blueprint.route("/v2.1/os-keypairs/<name>", methods=["DELETE"])
def delete_keypair(name: str):
    owner = _owner()
    if not store().remove("keypair", _key_id(owner, name)):
        raise not_found(f"Keypair {name} not found for user {owner}")
    return reply(None, 204 if at_least(2) else 202)
