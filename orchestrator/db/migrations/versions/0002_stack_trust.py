"""stack trust: the Keystone trust a stack acts with, and its trustor

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stack', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trust_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('trustor_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('stack', schema=None) as batch_op:
        batch_op.drop_column('trustor_id')
        batch_op.drop_column('trust_id')
