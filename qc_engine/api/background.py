"""The service's background task: the scheduled weekly report, webhook delivery, and the
daily purge of chats past the retention (QC_RETENTION_DAYS).

Started in the app's lifespan (one per service process; the work itself is claimed in the
database, so several processes never do one thing twice). Each tick runs in a worker
thread, so the event loop keeps answering requests while a report is being built.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

from qc_engine.api.deps import AppState
from qc_engine.reports.schedule import Schedule, run_due, worker_name
from qc_engine.service import webhooks
from qc_engine.service.links import link_signer
from qc_engine.service.retention import purge

log = logging.getLogger("qc.background")
PURGE_EVERY = 24 * 3600.0  # seconds between purges in one process (idempotent if several)


@dataclass
class Background:
    state: AppState
    schedule: Schedule = field(init=False)
    targets: list[webhooks.WebhookTarget] = field(init=False)
    policy: webhooks.DeliveryPolicy = field(init=False)
    worker: str = field(default_factory=worker_name)
    ticks: int = 0
    purged_at: float | None = None  # time.monotonic() of this process's last purge

    def __post_init__(self) -> None:
        settings = self.state.settings
        self.schedule = Schedule.parse(
            weekday=settings.report_weekday, at=settings.report_time, shops=settings.report_shops
        )
        self.targets = webhooks.parse_targets(settings.webhooks)
        self.policy = webhooks.DeliveryPolicy(
            max_attempts=settings.webhook_max_attempts,
            backoff_seconds=settings.webhook_backoff_seconds,
            timeout_seconds=settings.webhook_timeout_seconds,
            per_minute=settings.webhook_per_minute or None,
        )

    def tick(self) -> None:
        """One round: the due report (if any), then the webhook queue."""
        settings = self.state.settings
        if settings.report_schedule:
            run_due(
                self.state.sessions,
                schedule=self.schedule,
                base_url=settings.public_url,
                link_signer=link_signer(settings),
                worker=self.worker,
            )
        with self.state.sessions.begin() as session:
            webhooks.dispatch(session, self.targets)
        if self.targets:
            webhooks.deliver_due(
                self.state.sessions, self.targets, policy=self.policy, base_url=settings.public_url
            )
        if settings.retention_days is not None and (
            self.purged_at is None or time.monotonic() - self.purged_at >= PURGE_EVERY
        ):
            with self.state.sessions.begin() as session:
                done = purge(session, days=settings.retention_days, actor="retention")
            self.purged_at = time.monotonic()
            log.info("retention: purged %d chats, %d work items", done.transcripts, done.work_items)
        self.ticks += 1

    async def run(self, stop: asyncio.Event) -> None:
        interval = self.state.settings.background_interval
        with suppress(TimeoutError):  # let start-up settle first
            await asyncio.wait_for(stop.wait(), timeout=min(1.0, interval))
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.tick)
            except Exception:
                log.exception("background tick failed")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)


@asynccontextmanager
async def running(state: AppState) -> AsyncIterator[Background | None]:
    """Run the background task for the app's lifetime (unless QC_BACKGROUND=0); on
    shutdown the tick in progress finishes first."""
    if not state.settings.background:
        yield None
        return
    background = Background(state)
    stop = asyncio.Event()
    task = asyncio.create_task(background.run(stop), name="qc-background")
    try:
        yield background
    finally:
        stop.set()
        await task
