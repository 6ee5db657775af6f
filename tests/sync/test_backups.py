"""Backups of ForceManager data before the initial replacement, against the FM sandbox."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from server.backups import service as backups
from server.backups.errors import AlreadyRestored, BackupNotFound
from server.clients.forcemanager import ForceManagerClient
from server.config import get_settings
from server.models import BackupRecord, Organization


async def _live(fm: ForceManagerClient, resource: str) -> list[dict]:
    return [r async for page in fm.list(resource) for r in page]


@pytest.mark.forcemanager_sandbox(accounts=6, contacts=10, opportunities=0, activities=0,
                                  products=0)
async def test_backup_remove_and_restore_round_trip(db: str, forcemanager_sandbox) -> None:
    org = await Organization.create(name="Acme", plan="business")
    async with ForceManagerClient(forcemanager_sandbox.url, forcemanager_sandbox.public_key,
                                  forcemanager_sandbox.private_key, rate_limit=None) as fm:
        accounts_before = await _live(fm, "accounts")
        contacts_before = await _live(fm, "contacts")
        names = {a["id"]: a["name"] for a in accounts_before}
        parents_before = sorted(
            (c["lastName"], names.get((c.get("accountId") or {}).get("id")))
            for c in contacts_before
        )

        assert contacts_before and any(parent for _, parent in parents_before)

        backup = await backups.start(org.id, None, ["contacts", "accounts"])
        assert backup.resources == ["accounts", "contacts"]  # parents first
        await backups.copy(fm, backup)
        await backups.copy(fm, backup)  # a rerun after a crash stores nothing twice
        assert backup.record_count == len(accounts_before) + len(contacts_before)
        assert await BackupRecord.filter(backup_id=backup.id).count() == backup.record_count
        await backups.remove(fm, backup)
        await backups.remove(fm, backup)  # and a second removal is harmless
        assert await _live(fm, "accounts") == [] and await _live(fm, "contacts") == []

        restored = await backups.restore(fm, org.id, backup.id)
        assert restored == backup.record_count
        accounts_after = await _live(fm, "accounts")
        contacts_after = await _live(fm, "contacts")
        assert sorted(a["name"] for a in accounts_after) == sorted(names.values())
        new_names = {a["id"]: a["name"] for a in accounts_after}
        parents_after = sorted(
            (c["lastName"], new_names.get((c.get("accountId") or {}).get("id")))
            for c in contacts_after
        )
        assert parents_after == parents_before  # references point at the restored parents

        with pytest.raises(AlreadyRestored):
            await backups.restore(fm, org.id, backup.id)
        other = await Organization.create(name="Other", plan="business")
        with pytest.raises(BackupNotFound):
            await backups.restore(fm, other.id, backup.id)


@pytest.mark.forcemanager_sandbox(accounts=2, contacts=0, opportunities=0, activities=0,
                                  products=0)
async def test_restore_backup_command(db: str, forcemanager_sandbox) -> None:
    from server.organizations.service import create_organization

    org, _ = await create_organization(
        "Acme", "business",
        forcemanager_public_key=forcemanager_sandbox.public_key,
        forcemanager_private_key=forcemanager_sandbox.private_key,
        forcemanager_base_url=forcemanager_sandbox.url,
    )
    async with ForceManagerClient(forcemanager_sandbox.url, forcemanager_sandbox.public_key,
                                  forcemanager_sandbox.private_key, rate_limit=None) as fm:
        backup = await backups.start(org.id, None, ["accounts"])
        await backups.copy(fm, backup)
        await backups.remove(fm, backup)

        # The command must read the keys with the same SECRET_KEY as this process.
        env = {**os.environ, "SECRET_KEY": ",".join(get_settings().secret_keys)}

        async def cli(*args: str) -> tuple[int, str]:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "server", *args, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await proc.communicate()
            return proc.returncode or 0, out.decode()

        code, out = await cli("restore-backup", "--org", str(org.id), "--backup", "424242")
        assert code == 1 and "does not exist" in out
        code, out = await cli("restore-backup", "--org", str(org.id), "--backup", str(backup.id))
        assert code == 0, out
        assert "restored 2 record(s)" in out
        assert len([r async for page in fm.list("accounts") for r in page]) == 2
