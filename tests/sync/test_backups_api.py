"""The backups query and the admin restoreBackup mutation, through the real app."""

from __future__ import annotations

import pytest

from server.backups import service as backups
from server.clients.forcemanager import ForceManagerClient
from tests.api.conftest import app, http, new_org, viewer_of  # noqa: F401 (fixtures)

BACKUPS = "{ backups { id resources recordCount complete restoredAt } }"
RESTORE = """mutation($id: ID!) { restoreBackup(backupId: $id) {
  __typename
  ... on BackupRestored { restoredRecords backup { id restoredAt } }
  ... on UserError { code message }
  ... on BackupNotRestorable { reason }
} }"""


@pytest.mark.forcemanager_sandbox(accounts=3, contacts=0, opportunities=0, activities=0,
                                  products=0)
async def test_list_and_restore_a_backup(http, forcemanager_sandbox) -> None:  # noqa: F811
    api = await new_org(
        http,
        forcemanager_public_key=forcemanager_sandbox.public_key,
        forcemanager_private_key=forcemanager_sandbox.private_key,
        forcemanager_base_url=forcemanager_sandbox.url,
    )
    async with ForceManagerClient(forcemanager_sandbox.url, forcemanager_sandbox.public_key,
                                  forcemanager_sandbox.private_key, rate_limit=None) as fm:
        backup = await backups.start(api.org_id, None, ["accounts"])
        await backups.copy(fm, backup)
        await backups.remove(fm, backup)

        listed = (await api.data(BACKUPS))["backups"]
        assert listed == [{"id": str(backup.id), "resources": ["accounts"], "recordCount": 3,
                           "complete": True, "restoredAt": None}]

        viewer = await viewer_of(api)
        refused = await viewer.post(RESTORE, {"id": str(backup.id)})
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert [r async for page in fm.list("accounts") for r in page] == []

        done = (await api.data(RESTORE, {"id": str(backup.id)}))["restoreBackup"]
        assert done["__typename"] == "BackupRestored" and done["restoredRecords"] == 3
        assert len([r async for page in fm.list("accounts") for r in page]) == 3

        again = (await api.data(RESTORE, {"id": str(backup.id)}))["restoreBackup"]
        assert again["reason"] == "ALREADY_RESTORED"
        missing = (await api.data(RESTORE, {"id": "999999"}))["restoreBackup"]
        assert missing["__typename"] == "NotFound"

    other = await new_org(http, name="Other")
    stranger = (await other.data(RESTORE, {"id": str(backup.id)}))["restoreBackup"]
    assert stranger["__typename"] == "NotFound"  # another org's backup is invisible
    assert (await other.data(BACKUPS))["backups"] == []
