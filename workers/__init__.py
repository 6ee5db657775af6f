"""The arq worker and the sync engine."""
