"""Alembic's environment: migrations run on the engine handed over by ``orchestrator.db.migrate``."""

from __future__ import annotations

from alembic import context

from orchestrator.db.models import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=engine.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
