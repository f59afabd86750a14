"""Alembic environment: the URL and connection come from hlsguide.storage.migrate."""

from alembic import context

from hlsguide.storage.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
