"""Stored templates: one row per distinct (template, environment, files), found by digest."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from .models import RawTemplate


def digest_of(template: Any, environment: Any, files: Any) -> str:
    """A stable digest of a template with its environment and files."""
    text = json.dumps([template, environment, files], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_template(connection: Connection, template: dict, environment: dict, files: dict) -> int:
    """The id of the row holding this content, inserting it if it is new."""
    digest = digest_of(template, environment, files)
    query = select(RawTemplate.id).where(RawTemplate.digest == digest)
    existing = connection.execute(query).scalar()
    if existing is not None:
        return existing
    try:
        with connection.begin_nested():
            return connection.execute(
                insert(RawTemplate).values(digest=digest, template=template, environment=environment, files=files)
                .returning(RawTemplate.id)).scalar_one()
    except IntegrityError:  # another writer stored the same content meanwhile
        return connection.execute(query).scalar_one()


def load_template(connection: Connection, template_id: int) -> tuple[dict, dict, dict, str]:
    """``(template, environment, files, digest)`` of a stored template."""
    row = connection.execute(select(RawTemplate.template, RawTemplate.environment, RawTemplate.files,
                                    RawTemplate.digest).where(RawTemplate.id == template_id)).one()
    return row.template, row.environment or {}, row.files or {}, row.digest
