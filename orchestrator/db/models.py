"""The tables: stacks, their templates, resources, events, locks and snapshots.

Templates live in their own table, keyed by a digest of their content, so the
thousand identical member stacks of a resource group share one row and a
stack keeps its previous template for rollback by id.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, MetaData, String, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations read the same on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(36)
NAME = String(255)
STATE = String(20)
#: UTC timestamps; MariaDB/MySQL would drop the fractions of a second without fsp=6,
#: and lock leases are compared to the sub-second
TIMESTAMP = DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def utcnow() -> datetime:
    """Now, in UTC (every timestamp is stored in UTC)."""
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class RawTemplate(Base):
    """A template with its environment and files, stored once per distinct content."""

    __tablename__ = "raw_template"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    template: Mapped[dict[str, Any]] = mapped_column(JSON)
    environment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    files: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow)


class Stack(Base):
    """One stack; nested stacks point at the stack that owns them."""

    __tablename__ = "stack"
    __table_args__ = (
        Index("ix_stack_project_name", "project_id", "name"),
        Index("ix_stack_owner_id", "owner_id"),
        Index("ix_stack_root_id", "root_id"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    project_id: Mapped[str] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(STATE)
    status: Mapped[str] = mapped_column(STATE)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    template_id: Mapped[int] = mapped_column(ForeignKey("raw_template.id"))
    #: the template before the last update (what a rollback returns to)
    prev_template_id: Mapped[int | None] = mapped_column(ForeignKey("raw_template.id"))
    #: parameter values the user gave (the environment holds the rest)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("stack.id"))
    root_id: Mapped[str | None] = mapped_column(ID)
    parent_resource: Mapped[str | None] = mapped_column(NAME)
    nested_depth: Mapped[int] = mapped_column(Integer, default=0)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    timeout_mins: Mapped[int | None] = mapped_column(Integer)
    disable_rollback: Mapped[bool] = mapped_column(Boolean, default=True)
    #: set by cancel requests; the running operation reads it: "rollback" or "no_rollback"
    cancel_requested: Mapped[str | None] = mapped_column(String(20))
    #: the Keystone trust the stack acts with (``[cloud] auth = trust``; nested stacks carry their root's)
    trust_id: Mapped[str | None] = mapped_column(String(64))
    #: the Keystone user who gave it (an update by another user of the project gives a new one)
    trustor_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(TIMESTAMP)
    deleted_at: Mapped[datetime | None] = mapped_column(TIMESTAMP)


class Resource(Base):
    """One resource of a stack; a replacement is a new row that ``replaces`` the old one."""

    __tablename__ = "resource"
    __table_args__ = (Index("ix_resource_stack_name", "stack_id", "name"),
                      Index("ix_resource_physical_id", "physical_id"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    stack_id: Mapped[str] = mapped_column(ForeignKey("stack.id"))
    name: Mapped[str] = mapped_column(NAME)
    type: Mapped[str] = mapped_column(NAME)
    physical_id: Mapped[str | None] = mapped_column(NAME)
    action: Mapped[str] = mapped_column(STATE, default="INIT")
    status: Mapped[str] = mapped_column(STATE, default="COMPLETE")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    #: the definition the resource was last created or updated from
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requires: Mapped[list[Any]] = mapped_column(JSON, default=list)
    replaces: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    replaced_by: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    #: the breakpoint the resource is waiting at, if any (e.g. "pre-create")
    hook: Mapped[str | None] = mapped_column(String(20))
    nested_stack_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(TIMESTAMP)


class Event(Base):
    """One state change of a stack or of one of its resources."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_stack_id", "stack_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    uuid: Mapped[str] = mapped_column(ID, unique=True)
    stack_id: Mapped[str] = mapped_column(ID)
    #: the stack's name for stack events, else the resource's logical name
    resource_name: Mapped[str] = mapped_column(NAME)
    physical_id: Mapped[str | None] = mapped_column(NAME)
    resource_type: Mapped[str | None] = mapped_column(NAME)
    action: Mapped[str] = mapped_column(STATE)
    status: Mapped[str] = mapped_column(STATE)
    reason: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow)


class StackLock(Base):
    """Who runs an operation on a stack, until when (a lease the holder renews)."""

    __tablename__ = "stack_lock"

    stack_id: Mapped[str] = mapped_column(ID, primary_key=True)
    engine_id: Mapped[str] = mapped_column(ID)
    action: Mapped[str] = mapped_column(STATE)
    expires_at: Mapped[datetime] = mapped_column(TIMESTAMP)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow)


class Snapshot(Base):
    """A stack snapshot: the template and each resource's snapshot data."""

    __tablename__ = "snapshot"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    stack_id: Mapped[str] = mapped_column(ForeignKey("stack.id"))
    name: Mapped[str | None] = mapped_column(NAME)
    status: Mapped[str] = mapped_column(STATE)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, default=utcnow)
