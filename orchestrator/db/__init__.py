"""Persistence: the tables (``models``), connections (``database``) and migrations."""
