"""The sync engine: field maps, the three-way merge, the initial load and incremental runs."""
