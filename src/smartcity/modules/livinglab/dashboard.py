"""The public dashboard: pilots by domain, track, state and year, completion and adoption
rates, time in each state; open data (CSV/JSON); a server-rendered KPI chart (SVG)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.time import format_taipei, isoformat_z, utcnow
from smartcity.modules.livinglab.models import Feedback, Pilot, Transition
from smartcity.modules.livinglab.values import PilotState

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
    width: int = 560,
    height: int = 220,
) -> str:
    """A line chart of a KPI's values with its target and baseline, as inline SVG."""
    pad_left, pad_right, pad_top, pad_bottom = 56, 16, 28, 36
    values = [v for _t, v in series] + [target] + ([baseline] if baseline is not None else [])
    low, high = min(values), max(values)
    if high == low:
        high, low = high + 1, low - 1
    span = high - low
    low, high = low - span * 0.1, high + span * 0.1

    def y(value: float) -> float:
        return pad_top + (high - value) / (high - low) * (height - pad_top - pad_bottom)

    inner = width - pad_left - pad_right
    if len(series) > 1:
        t0 = series[0][0].timestamp()
        t1 = series[-1][0].timestamp()
        spread = (t1 - t0) or 1.0
        points = [(pad_left + (t.timestamp() - t0) / spread * inner, y(v)) for t, v in series]
    else:
        points = [(pad_left + inner / 2, y(v)) for _t, v in series]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="kpi-chart">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
        f'<line x1="{pad_left}" y1="{height - pad_bottom}" x2="{width - pad_right}" '
        f'y2="{height - pad_bottom}" stroke="#888"/>',
        f'<line x1="{pad_left}" y1="{pad_top}" x2="{pad_left}" y2="{height - pad_bottom}" '
        'stroke="#888"/>',
    ]
    for value in (low, (low + high) / 2, high):
        parts.append(
            f'<text x="{pad_left - 6}" y="{y(value) + 4:.1f}" font-size="11" '
            f'text-anchor="end" fill="#444">{value:.4g}</text>'
        )
    parts.append(
        f'<line x1="{pad_left}" y1="{y(target):.1f}" x2="{width - pad_right}" '
        f'y2="{y(target):.1f}" stroke="#1a7f37" stroke-dasharray="6 4"/>'
        f'<text x="{width - pad_right}" y="{y(target) - 4:.1f}" font-size="11" '
        f'text-anchor="end" fill="#1a7f37">目標 target {target:.4g} {escape(unit)}</text>'
    )
    if baseline is not None:
        parts.append(
            f'<line x1="{pad_left}" y1="{y(baseline):.1f}" x2="{width - pad_right}" '
            f'y2="{y(baseline):.1f}" stroke="#999" stroke-dasharray="2 3"/>'
            f'<text x="{pad_left + 4}" y="{y(baseline) - 4:.1f}" font-size="11" '
            f'fill="#666">基準 baseline {baseline:.4g}</text>'
        )
    if points:
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#0b5cad" stroke-width="2"/>')
        for (x, yy), (t, v) in zip(points, series, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3" fill="#0b5cad">'
                f"<title>{format_taipei(t)}: {v:.4g} {escape(unit)}</title></circle>"
            )
        parts.append(
            f'<text x="{pad_left}" y="{height - 12}" font-size="11" fill="#444">'
            f"{format_taipei(series[0][0])[:10]}</text>"
            f'<text x="{width - pad_right}" y="{height - 12}" font-size="11" '
            f'text-anchor="end" fill="#444">{format_taipei(series[-1][0])[:10]}</text>'
        )
    else:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" font-size="13" text-anchor="middle" '
            'fill="#666">尚無量測值 No values yet</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(counts: dict[str, int], labels: dict[str, str], *, title: str) -> str:
    """Horizontal bars of counts, as inline SVG."""
    items = [(labels.get(k, k), v) for k, v in counts.items()]
    row, width, label_w = 22, 420, 140
    height = row * max(len(items), 1) + 8
    top = max((v for _k, v in items), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" class="bar-chart"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        bar = (width - label_w - 50) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end" '
            f'fill="#222">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar:.1f}" height="{row - 8}" '
            f'fill="#0b5cad"/>'
            f'<text x="{label_w + bar + 6:.1f}" y="{y + 15}" font-size="12" fill="#222">'
            f"{value}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
