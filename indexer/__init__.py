"""Indexer: the SQLite archive (source of truth), the Whoosh index derived from
it, and the one search service that reads it."""
