"""Clients of the two external APIs. They know nothing of the database."""
