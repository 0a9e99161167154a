"""A hand-made waiting-list lake for the results store, services, API, pages and report
tests of the waiting lists (issue 15, points 3 and 5): two lists whose published figures are
worked by hand.

* 110 (trauma and orthopaedics) at RX1 on 31 March 2025: 40 waiting, 20 of them for 18 weeks
  or less (started 2025-03-01 to 2025-03-20), 10 for 20 to 40 weeks (started in 2024-08) and
  10 for 52 weeks or more (started in January 2024); 52 pathways treated in the year before
  (one a week), so treatments are 1 a week.
* 130 (ophthalmology) at RX2: 3 waiting (started 2025-03-30), nobody treated: a list too
  small to publish, with no capacity.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.rtt import pathway, rtt_lake

AS_OF = "2025-03-31"


def _day(text: str, plus: int = 0) -> str:
    return (dt.date.fromisoformat(text) + dt.timedelta(days=plus)).isoformat()


def pathways() -> list[dict]:
    rows = []
    pid = 1
    for i in range(20):  # within 18 weeks (10 to 29 days)
        rows.append(pathway(pid, _day("2025-03-01", i % 20)))
        pid += 1
    for i in range(10):  # 20 to 40 weeks
        rows.append(pathway(pid, _day("2024-08-01", i)))
        pid += 1
    for i in range(10):  # 52 weeks or more
        rows.append(pathway(pid, _day("2024-01-02", i)))
        pid += 1
    for week in range(52):  # one treated a week, each after 10 weeks' wait
        stop = _day("2024-04-07", 7 * week)
        rows.append(pathway(pid, _day(stop, -70), stop, "admitted"))
        pid += 1
    for _ in range(3):
        rows.append(pathway(pid, "2025-03-30", provider="RX2", function="130"))
        pid += 1
    return rows


def wl_lake(folder: Path) -> Path:
    return rtt_lake(folder, pathways(), AS_OF)
