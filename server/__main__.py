"""Command line: python -m server <command>.

    create-org --name N --plan P [--forcemanager-public-key K --forcemanager-private-key K]
               [--forcemanager-base-url U]      prints the org id and a first ADMIN token
    create-token --org ID --name N [--role ADMIN|VIEWER]
    restore-backup --org ID --backup ID          recreate a backup's records in ForceManager
    migrate                                      bring DATABASE_URL up to date
    makemigrations                               write a migration for model changes
    demo                                         run the local demo (server.demo)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable

from server.db import close_db, init_db, tortoise_config
from server.integration.errors import ServiceError
from server.models import Organization, Role


async def _create_org(args: argparse.Namespace) -> int:
    from server.organizations.service import create_organization

    org, token = await create_organization(
        args.name,
        args.plan,
        forcemanager_public_key=args.forcemanager_public_key,
        forcemanager_private_key=args.forcemanager_private_key,
        forcemanager_base_url=args.forcemanager_base_url,
    )
    print(f"organization id: {org.id}")
    print(f"admin token: {token}")
    print("Keep the token: it is not shown again.", file=sys.stderr)
    return 0


async def _create_token(args: argparse.Namespace) -> int:
    from server.auth.tokens import create_token

    if not await Organization.filter(id=args.org).exists():
        print(f"error: organization {args.org} does not exist", file=sys.stderr)
        return 1
    row, token = await create_token(args.org, args.name, Role(args.role))
    print(f"token id: {row.id}")
    print(f"{row.role} token: {token}")
    return 0


async def _restore_backup(args: argparse.Namespace) -> int:
    from server.backups.errors import BackupError
    from server.backups.service import restore_with_stored_keys
    from server.clients.errors import ApiError

    try:
        restored = await restore_with_stored_keys(args.org, args.backup)
    except BackupError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except ApiError as exc:
        print(f"error: ForceManager refused the restore: {exc.code}", file=sys.stderr)
        return 1
    print(f"restored {restored} record(s) from backup {args.backup}")
    return 0


async def _with_db(
    run: Callable[[argparse.Namespace], Awaitable[int]], args: argparse.Namespace
) -> int:
    await init_db()
    try:
        return await run(args)
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await close_db()


async def _migrate() -> int:
    from tortoise.migrations.api import migrate

    await migrate(config=tortoise_config())
    await close_db()
    print("database is up to date")
    return 0


def _makemigrations() -> int:
    from tortoise.cli import main as tortoise_main

    sys.argv = ["tortoise", "-c", "server.db.TORTOISE_ORM", "makemigrations"]
    tortoise_main()
    return 0


def _demo() -> int:
    from server.demo import main as demo

    return demo()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m server", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    org = sub.add_parser("create-org", help="create an organization and its first ADMIN token")
    org.add_argument("--name", required=True)
    org.add_argument("--plan", required=True, help="e.g. business (see ELIGIBLE_PLANS)")
    org.add_argument("--forcemanager-public-key")
    org.add_argument("--forcemanager-private-key")
    org.add_argument("--forcemanager-base-url", help="default: FORCEMANAGER_BASE_URL")

    token = sub.add_parser("create-token", help="create an API token for an organization")
    token.add_argument("--org", type=int, required=True)
    token.add_argument("--name", required=True)
    token.add_argument("--role", choices=[r.value for r in Role], default=Role.ADMIN.value)

    restore = sub.add_parser("restore-backup", help="recreate a backup's ForceManager records")
    restore.add_argument("--org", type=int, required=True)
    restore.add_argument("--backup", type=int, required=True)

    sub.add_parser("migrate", help="apply the database migrations (DATABASE_URL)")
    sub.add_parser("makemigrations", help="write a migration for model changes")
    sub.add_parser("demo", help="run the local demo")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    match args.command:
        case "create-org":
            return asyncio.run(_with_db(_create_org, args))
        case "create-token":
            return asyncio.run(_with_db(_create_token, args))
        case "restore-backup":
            return asyncio.run(_with_db(_restore_backup, args))
        case "migrate":
            return asyncio.run(_migrate())
        case "makemigrations":
            return _makemigrations()
        case "demo":
            return _demo()
    return 2


if __name__ == "__main__":
    sys.exit(main())
