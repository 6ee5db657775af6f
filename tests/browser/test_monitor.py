"""/monitor in headless Chromium: token, state, statistics, the table, live arrivals."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from playwright.async_api import Page, expect
from redis.asyncio import Redis

from server import events
from tests.browser.chromium import chromium
from tests.browser.conftest import ARTIFACTS, MonitorServer

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


async def open_monitor(page: Page, server: MonitorServer, token: str) -> None:
    await page.goto(f"{server.url}/monitor")
    await expect(page.locator("#login")).to_be_visible()
    await page.fill("#token", token)
    await page.click("#token-form button[type=submit]")


async def live_subscribers(server: MonitorServer, count: int) -> None:
    for _ in range(500):
        reader = server.hub._readers.get(server.org_id)
        if reader and reader.ready.is_set() and sum(s.active for s in reader.subscribers) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the page never subscribed to the live feed")


async def test_monitor_shows_state_statistics_records_and_live_arrivals(
    monitor_server: MonitorServer, redis: Redis
):
    async with chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP)
        await open_monitor(page, monitor_server, monitor_server.token)

        await expect(page.locator("#dashboard")).to_be_visible()
        await expect(page.locator("#state")).to_have_text("Active")
        await expect(page.locator("#facts")).to_contain_text("admin@acme.example.com")
        rows = page.locator("#records tbody tr")
        await expect(rows).to_have_count(12)
        await expect(rows.first).to_contain_text("Old Account")
        error_row = page.locator("#records tbody tr.error")
        await expect(error_row).to_have_count(1)
        await expect(error_row).to_contain_text("DUPLICATE_VALUE")
        await expect(page.locator("#error-count")).to_have_text("1 error")

        accounts_in = page.locator(
            '[data-entity=ACCOUNT] [data-direction=SALESFORCE_TO_FORCEMANAGER] .num')
        await expect(accounts_in).to_have_text("9")  # 8 created + 1 deleted
        accounts_out = page.locator(
            '[data-entity=ACCOUNT] [data-direction=FORCEMANAGER_TO_SALESFORCE] .num')
        await expect(accounts_out).to_contain_text("1 failed")
        assert await page.locator("#chart svg rect.created").count() >= 2

        # The token lives in this tab's session only.
        stored = await page.evaluate("[sessionStorage.length, localStorage.length]")
        assert stored == [1, 0]

        await expect(page.locator("#live")).to_have_text("live")
        await live_subscribers(monitor_server, 1)
        new_id = monitor_server.last_entry_id + 1
        await events.publish_record(redis, monitor_server.org_id, {
            "id": new_id, "entity": "CONTACT", "salesforceId": "003A00000000077",
            "forcemanagerId": 577, "recordName": "Ana Live", "action": "UPDATED",
            "direction": "FORCEMANAGER_TO_SALESFORCE", "status": "SUCCESS", "errorCode": None,
            "errorMessage": None, "ownerFallback": False, "runId": None,
            "at": datetime.now(UTC).isoformat(),
        })
        await expect(rows.first).to_contain_text("Ana Live")
        await expect(rows.first).to_have_attribute("data-id", str(new_id))
        await expect(rows).to_have_count(13)
        contacts_out = page.locator(
            '[data-entity=CONTACT] [data-direction=FORCEMANAGER_TO_SALESFORCE] .num')
        await expect(contacts_out).to_have_text("2")

        # The connection drops; what is logged meanwhile still arrives, once.
        await page.evaluate("view.socket.close()")
        await expect(page.locator("#live")).not_to_have_text("live")
        for offset, name in ((2, "Missed While Away"), (3, "Also Missed")):
            await events.publish_record(redis, monitor_server.org_id, {
                "id": new_id + offset - 1, "entity": "ACCOUNT", "salesforceId": None,
                "forcemanagerId": 900 + offset, "recordName": name, "action": "CREATED",
                "direction": "FORCEMANAGER_TO_SALESFORCE", "status": "SUCCESS",
                "errorCode": None, "errorMessage": None, "ownerFallback": False,
                "runId": None, "at": datetime.now(UTC).isoformat(),
            })
        await expect(page.locator("#live")).to_have_text("live")
        await expect(rows.first).to_contain_text("Also Missed")
        await expect(rows.nth(1)).to_contain_text("Missed While Away")
        await expect(rows).to_have_count(15)

        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "monitor-seeded.png"), full_page=True)

        await page.set_viewport_size(PHONE)
        await expect(rows.first).to_be_visible()
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than a phone screen"
        await page.screenshot(path=str(ARTIFACTS / "monitor-phone.png"), full_page=True)


async def test_run_progress_shows_as_a_progress_bar(monitor_server: MonitorServer, redis: Redis):
    async with chromium() as browser:
        page = await browser.new_page(viewport=DESKTOP)
        await open_monitor(page, monitor_server, monitor_server.token)
        await expect(page.locator("#live")).to_have_text("live")
        await live_subscribers(monitor_server, 2)
        org = monitor_server.org_id
        start = {"runId": 99, "kind": "INITIAL", "at": datetime.now(UTC).isoformat()}
        await events.publish_progress(redis, org, {**start, "type": "STARTED"})
        await events.publish_progress(redis, org, {**start, "type": "PROGRESS",
                                                   "entity": "ACCOUNT", "processed": 30,
                                                   "total": 40})
        await events.publish_progress(redis, org, {**start, "type": "PROGRESS",
                                                   "entity": "CONTACT", "processed": 0,
                                                   "total": 60})
        await expect(page.locator("#progress")).to_be_visible()
        await expect(page.locator("#progress-title")).to_have_text("Initial load")
        await expect(page.locator("#progress-pct")).to_have_text("30%")
        await expect(page.locator("#progress-entities li")).to_have_count(2)
        await events.publish_progress(redis, org, {**start, "type": "FINISHED",
                                                   "status": "SUCCESS"})
        await expect(page.locator("#progress-pct")).to_have_text("100%")
        await expect(page.locator("#progress-outcome")).to_contain_text("Success")


async def test_a_refused_token_is_forgotten_with_a_clear_message(monitor_server: MonitorServer):
    async with chromium() as browser:
        page = await browser.new_page(viewport=PHONE)
        await open_monitor(page, monitor_server, "fmsf_this-is-not-a-token")
        await expect(page.locator("#login-error")).to_contain_text("refused")
        await expect(page.locator("#dashboard")).to_be_hidden()
        assert await page.evaluate("sessionStorage.length") == 0
