"""The monitor page on the running demo: a change made in the Salesforce sandbox arrives live."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import expect
from redis.asyncio import Redis

from tests.browser.chromium import chromium
from tests.browser.conftest import ARTIFACTS
from tests.live.demo_process import running_demo

NEW_NAME = "Harbour Lights Trading"


async def test_a_salesforce_change_appears_live_on_the_monitor(
    redis: Redis, redis_prefix: str, tmp_path: Path
):
    with running_demo(tmp_path / "data", redis_prefix, DEMO_ACTIVITY_SECONDS="3") as demo:
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await page.goto(f"{demo.api_url}/monitor")
            await page.fill("#token", demo.token)
            await page.click("#token-form button[type=submit]")

            await expect(page.locator("#state")).to_have_text("Active")
            await expect(page.locator("#live")).to_have_text("live")
            accounts = page.locator(
                '[data-entity=ACCOUNT] [data-direction=SALESFORCE_TO_FORCEMANAGER] .num')
            await expect(accounts).not_to_have_text("0")
            await expect(page.locator("#records tbody tr").first).to_be_visible()

            # Someone renames an account in Salesforce; the next sync carries it over.
            async with httpx.AsyncClient(base_url=demo.salesforce_admin,
                                         verify=str(demo.ca_cert)) as admin:
                listed = await admin.get("/records/Account", params={"limit": "1"})
                account = listed.json()["records"][0]
                renamed = await admin.patch(f"/records/Account/{account['Id']}",
                                            json={"Name": NEW_NAME})
                renamed.raise_for_status()
            demo.graphql("mutation { syncNow { __typename } }")

            arrived = page.locator("#records tbody tr", has_text=NEW_NAME)
            await expect(arrived).to_be_visible(timeout=90_000)
            await expect(arrived.locator("td.direction")).to_have_text("SF → FM")
            await expect(arrived.locator("td.action")).to_have_text("Updated")

            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "monitor.png"))
