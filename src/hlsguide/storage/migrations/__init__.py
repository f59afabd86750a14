"""Alembic migrations of the state schema (run by ``hlsguide db upgrade`` and at start-up)."""
