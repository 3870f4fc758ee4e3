"""first schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 05:12:03.803670
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

#: UTC timestamps with microseconds on every database (see orchestrator.db.models)
TIMESTAMP = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('stack_id', sa.String(length=36), nullable=False),
    sa.Column('resource_name', sa.String(length=255), nullable=False),
    sa.Column('physical_id', sa.String(length=255), nullable=True),
    sa.Column('resource_type', sa.String(length=255), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=True),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
    sa.UniqueConstraint('uuid', name=op.f('uq_event_uuid'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_stack_id', ['stack_id', 'id'], unique=False)

    op.create_table('raw_template',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('template', sa.JSON(), nullable=False),
    sa.Column('environment', sa.JSON(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raw_template')),
    sa.UniqueConstraint('digest', name=op.f('uq_raw_template_digest'))
    )
    op.create_table('stack_lock',
    sa.Column('stack_id', sa.String(length=36), nullable=False),
    sa.Column('engine_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('expires_at', TIMESTAMP, nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('stack_id', name=op.f('pk_stack_lock'))
    )
    op.create_table('stack',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=255), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('template_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('prev_template_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('prev_parameters', sa.JSON(), nullable=True),
    sa.Column('owner_id', sa.String(length=36), nullable=True),
    sa.Column('root_id', sa.String(length=36), nullable=True),
    sa.Column('parent_resource', sa.String(length=255), nullable=True),
    sa.Column('nested_depth', sa.Integer(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('timeout_mins', sa.Integer(), nullable=True),
    sa.Column('disable_rollback', sa.Boolean(), nullable=False),
    sa.Column('cancel_requested', sa.String(length=20), nullable=True),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=True),
    sa.Column('deleted_at', TIMESTAMP, nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['stack.id'], name=op.f('fk_stack_owner_id_stack')),
    sa.ForeignKeyConstraint(['prev_template_id'], ['raw_template.id'], name=op.f('fk_stack_prev_template_id_raw_template')),
    sa.ForeignKeyConstraint(['template_id'], ['raw_template.id'], name=op.f('fk_stack_template_id_raw_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stack'))
    )
    with op.batch_alter_table('stack', schema=None) as batch_op:
        batch_op.create_index('ix_stack_owner_id', ['owner_id'], unique=False)
        batch_op.create_index('ix_stack_project_name', ['project_id', 'name'], unique=False)
        batch_op.create_index('ix_stack_root_id', ['root_id'], unique=False)

    op.create_table('resource',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('stack_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=255), nullable=False),
    sa.Column('physical_id', sa.String(length=255), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('requires', sa.JSON(), nullable=False),
    sa.Column('replaces', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('replaced_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('hook', sa.String(length=20), nullable=True),
    sa.Column('nested_stack_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=True),
    sa.ForeignKeyConstraint(['stack_id'], ['stack.id'], name=op.f('fk_resource_stack_id_stack')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource'))
    )
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.create_index('ix_resource_physical_id', ['physical_id'], unique=False)
        batch_op.create_index('ix_resource_stack_name', ['stack_id', 'name'], unique=False)

    op.create_table('snapshot',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('stack_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.ForeignKeyConstraint(['stack_id'], ['stack.id'], name=op.f('fk_snapshot_stack_id_stack')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshot'))
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; dropping the indexes first fails on
    # MariaDB, where an index may be the one a foreign key needs.
    for table in ("snapshot", "resource", "stack", "stack_lock", "raw_template", "event"):
        op.drop_table(table)
