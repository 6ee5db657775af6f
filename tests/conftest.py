"""Shared fixtures. Each area keeps its fixtures in a plugin module under tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.database",
    "tests.fixtures.salesforce_sandbox",
    "tests.fixtures.forcemanager_sandbox",
]
