"""The public dashboard: pilots by domain, track, state and year, completion and adoption
rates, time in each state; open data (CSV/JSON); the layout of the KPI and bar charts."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.time import isoformat_z, utcnow
from smartcity.modules.livinglab.models import Feedback, Pilot, Transition
from smartcity.modules.livinglab.values import PilotState
from smartcity.web import charts
from smartcity.web.charts import Chart

CONCLUDED = {PilotState.ADOPTED, PilotState.PROCURED, PilotState.CLOSED, PilotState.WITHDRAWN}
ADOPTED = {PilotState.ADOPTED, PilotState.PROCURED}
OPEN_DATA_COLUMNS = [
    "id",
    "title",
    "domain",
    "track",
    "state",
    "department",
    "vendor",
    "year",
    "running_since",
    "running_until",
    "decision_reference",
    "feedback_count",
]


def summary(session: Session) -> dict[str, Any]:
    """Everything the public dashboard shows.

    Counts and rates cover every pilot that entered the pipeline (a pilot refused in
    screening counts against the completion rate even though its page is not public);
    `published` is how many have a public page.
    """
    pilots = list(session.execute(select(Pilot)).scalars())
    ids = {p.id for p in pilots}
    history: dict[Any, list[Transition]] = defaultdict(list)
    for row in session.execute(select(Transition).order_by(Transition.at, Transition.id)).scalars():
        if row.pilot_id in ids:
            history[row.pilot_id].append(row)
    evaluated = {
        pid for pid, rows in history.items() if any(r.to_state == "evaluating" for r in rows)
    }
    concluded = [p for p in pilots if p.state in CONCLUDED]
    completed = [p for p in concluded if p.id in evaluated]
    adopted = [p for p in pilots if p.state in ADOPTED]
    now = utcnow()
    durations: dict[str, list[float]] = defaultdict(list)
    for rows in history.values():
        for here, after in zip(rows, [*rows[1:], None], strict=True):
            end: datetime = after.at if after else now
            if after is None and here.to_state in {s.value for s in CONCLUDED}:
                continue
            durations[here.to_state].append((end - here.at).total_seconds() / 86400)
    by_year: dict[int, Counter[str]] = defaultdict(Counter)
    for p in pilots:
        by_year[p.year][p.state] += 1
    return {
        "total": len(pilots),
        "published": sum(1 for p in pilots if p.published),
        "by_domain": dict(sorted(Counter(p.domain for p in pilots).items())),
        "by_track": dict(sorted(Counter(p.track for p in pilots).items())),
        "by_state": {s.value: sum(1 for p in pilots if p.state == s) for s in PilotState},
        "by_year": {str(y): sum(c.values()) for y, c in sorted(by_year.items())},
        "concluded": len(concluded),
        "completed": len(completed),
        "adopted": len(adopted),
        "completion_rate": round(len(completed) / len(concluded), 3) if concluded else None,
        "adoption_rate": round(len(adopted) / len(completed), 3) if completed else None,
        "days_in_state": {
            state: {
                "median": round(statistics.median(values), 1),
                "mean": round(statistics.fmean(values), 1),
                "pilots": len(values),
            }
            for state, values in ((s.value, durations.get(s.value, [])) for s in PilotState)
            if values
        },
        "by_track_outcome": {
            track: {
                "concluded": sum(1 for p in concluded if p.track == track),
                "completed": sum(1 for p in completed if p.track == track),
                "adopted": sum(1 for p in adopted if p.track == track),
            }
            for track in sorted({p.track for p in pilots})
        },
    }


def open_data_rows(session: Session) -> list[dict[str, Any]]:
    """One row per published pilot, for CSV and JSON downloads."""
    counts = Counter(pid for (pid,) in session.execute(select(Feedback.pilot_id)).all())
    rows = []
    for p in session.execute(
        select(Pilot).where(Pilot.published.is_(True)).order_by(Pilot.year, Pilot.title)
    ).scalars():
        rows.append(
            {
                "id": str(p.id),
                "title": p.title,
                "domain": p.domain,
                "track": p.track,
                "state": p.state,
                "department": p.department or "",
                "vendor": p.vendor,
                "year": p.year,
                "running_since": isoformat_z(p.running_since) if p.running_since else "",
                "running_until": isoformat_z(p.running_until) if p.running_until else "",
                "decision_reference": p.decision_reference,
                "feedback_count": counts.get(p.id, 0),
            }
        )
    return rows


def kpi_chart(
    series: list[tuple[datetime, float]],
    *,
    target: float,
    baseline: float | None,
    unit: str,
    title: str,
) -> Chart:
    """A line chart of a KPI's values with its target and baseline (web/chart.svg draws it)."""
    rules = [(target, f"目標 target {target:.4g} {unit}")]
    if baseline is not None:
        rules.append((baseline, f"基準 baseline {baseline:.4g}"))
    return charts.time_series(
        [(title, series)], title=title, unit=unit, rules=rules, empty="尚無量測值 No values yet"
    )


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars of counts, laid out; livinglab/bar_chart.svg draws them."""

    title: str
    width: int
    height: int
    label_width: int
    row: int
    bars: list[tuple[str, int, float]]


def bar_chart(counts: dict[str, int], labels: dict[str, str], *, title: str) -> BarChart:
    """Horizontal bars of counts: (label, count, bar length) per row."""
    items = [(labels.get(k, k), v) for k, v in counts.items()]
    row, width, label_w = 22, 420, 140
    top = max((v for _k, v in items), default=0) or 1
    return BarChart(
        title=title,
        width=width,
        height=row * max(len(items), 1) + 8,
        label_width=label_w,
        row=row,
        bars=[(label, value, (width - label_w - 50) * value / top) for label, value in items],
    )
