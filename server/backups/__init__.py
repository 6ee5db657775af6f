"""Backups of the ForceManager records the initial replacement removes, and their restore."""
