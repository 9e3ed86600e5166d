"""FlexLM dates: ``d-mmm-yyyy``, ``permanent``, and year 0 meaning "never expires"."""
from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass
from typing import Optional

MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}

_DATE = re.compile(r"([0-9]{1,2})-([A-Za-z]{3})-([0-9]{1,4})\Z")


@dataclass(frozen=True)
class FlexDate:
    text: str
    permanent: bool = False
    date: Optional[_dt.date] = None
    valid: bool = True

    @property
    def never_expires(self) -> bool:
        return self.valid and self.permanent

    def days_left(self, today: _dt.date) -> Optional[int]:
        if not self.valid or self.permanent or self.date is None:
            return None
        return (self.date - today).days


def parse_date(text: str) -> FlexDate:
    """Parse an expiry/START/ISSUED value. Never raises; ``valid`` says whether it made sense."""
    if not isinstance(text, str):
        return FlexDate(str(text), valid=False)
    if len(text) > 64:
        return FlexDate(text, valid=False)
    return _parse_date(text)


# License files repeat the same few dates thousands of times; FlexDate is immutable.
@functools.lru_cache(maxsize=4096)
def _parse_date(text: str) -> FlexDate:
    t = text.strip()
    if t.lower() == "permanent":
        return FlexDate(text, permanent=True)
    m = _DATE.match(t)
    if not m:
        return FlexDate(text, valid=False)
    day, mon, year_s = int(m.group(1)), m.group(2).lower(), m.group(3)
    month = MONTHS.get(mon)
    if month is None:
        return FlexDate(text, valid=False)
    year = int(year_s)
    if year == 0:
        # 1-jan-0, 01-jan-0000: FlexNet's spelling of "never expires".
        return FlexDate(text, permanent=True)
    if len(year_s) <= 2:
        year += 1900 if year >= 70 else 2000
    try:
        return FlexDate(text, date=_dt.date(year, month, day))
    except ValueError:
        return FlexDate(text, valid=False)


_MDY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2,4})")


def parse_mdy(text: str, anywhere: bool = False) -> Optional[_dt.date]:
    """FlexNet's m/d/yyyy (TIMESTAMP lines, lmstat headers); two-digit years are 20xx. Never raises.

    ``anywhere``: find the date inside a longer text instead of requiring the whole text to be one.
    """
    t = text.strip()
    m = _MDY.search(t) if anywhere else _MDY.fullmatch(t)
    if not m:
        return None
    mo, d, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if y < 100:
        y += 2000
    try:
        return _dt.date(y, mo, d)
    except ValueError:
        return None
