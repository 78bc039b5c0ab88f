"""ISO weeks in Asia/Shanghai: parsing "2026-W47", the week's bounds, its neighbours, and
the week a scheduled run on a Monday morning reports on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from qc_engine.clock import SHANGHAI
from qc_engine.errors import Code, QCError

_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$")
# A report reads its week, the weeks before it (the trend) and the one after: weeks near
# the ends of the calendar would step outside what dates and time zones can hold.
FIRST_YEAR, LAST_YEAR = 1970, 9998


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """ "2026-W47" (or "2026W47"); an error a person understands otherwise."""
        match = _WEEK.match(text.strip().upper())
        if match is None:
            raise QCError(Code.E600, f"a week is written like 2026-W47, not {text!r}", field="week")
        year, week = int(match[1]), int(match[2])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise QCError(
                Code.E600,
                f"reports cover weeks from {FIRST_YEAR}-W01 to "
                f"{LAST_YEAR}-W52, not {text.strip()!r}",
                field="week",
            )
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise QCError(Code.E600, f"{year} has no ISO week {week}", field="week") from None
        return cls(year, week)

    @classmethod
    def of(cls, moment: datetime | date) -> IsoWeek:
        """The week holding a moment (read in Asia/Shanghai) or a calendar day."""
        day = moment.astimezone(SHANGHAI).date() if isinstance(moment, datetime) else moment
        year, week, _ = day.isocalendar()
        return cls(year, week)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def start(self) -> datetime:
        """Monday 00:00 Asia/Shanghai."""
        return datetime.combine(self.monday, time(0), tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 Asia/Shanghai (exclusive)."""
        return self.start + timedelta(days=7)

    def shifted(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def previous(self) -> IsoWeek:
        return self.shifted(-1)

    def label_zh(self) -> str:
        last = self.monday + timedelta(days=6)
        return (
            f"{self.year} 年第 {self.week} 周（{self.monday.month}月{self.monday.day}日—"
            f"{last.month}月{last.day}日）"
        )


def last_week(now: datetime) -> IsoWeek:
    """The last complete week before `now`."""
    return IsoWeek.of(now).previous()
