"""livinglab's part of the demo city: fields, challenges, proposals and 150 pilots with their
histories, KPIs (two of them live from simulated sensor-hub devices), bookings, barriers,
citizens' feedback, evaluations and outcomes; plus two pilots imported from other cities.

Histories are back-dated so that the dashboard's "time in each state" tells a story; the
texts are in demo_data.py and, for what belongs to the city, its profile's livinglab.toml.
Everything is deterministic (a fixed random seed).
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from smartcity.core.auth import Role
from smartcity.core.city import CityProfile, current_city
from smartcity.core.keys import KeyRing
from smartcity.core.platform import Platform
from smartcity.core.time import utcnow
from smartcity.core.uow import UnitOfWork
from smartcity.modules.alerts.schemas import EventIn
from smartcity.modules.alerts.service import (
    acknowledge,
    raise_alert,
    register_detector,
    resolve,
)
from smartcity.modules.alerts.values import Source, Verdict
from smartcity.modules.identity.service import add_member, create_staff, ensure_organisation
from smartcity.modules.identity.values import OrganisationKind
from smartcity.modules.livinglab import exchange, semantic
from smartcity.modules.livinglab.demo_data import IDEAS, VENDORS, CityTexts, city_texts
from smartcity.modules.livinglab.models import (
    Barrier,
    Booking,
    BookingDay,
    Challenge,
    Feedback,
    Field,
    Kpi,
    Measurement,
    Milestone,
    Pilot,
    Proposal,
    Score,
    StatusReport,
    Transition,
)
from smartcity.modules.livinglab.values import Criterion, PilotState
from smartcity.modules.sensors.service import record_readings, register_station

S = PilotState
CHAIN = [S.PROPOSED, S.SCREENING, S.MATCHED, S.AGREED, S.PREPARING, S.RUNNING, S.EVALUATING]
# Days spent in each state before moving on: (low, high).
STAY = {
    S.PROPOSED: (7, 30),
    S.SCREENING: (14, 45),
    S.MATCHED: (14, 60),
    S.AGREED: (10, 40),
    S.PREPARING: (14, 45),
    S.RUNNING: (120, 170),
    S.EVALUATING: (20, 60),
    S.EXTENDED: (60, 120),
}
DEMO_PASSWORD = "demo1234"  # noqa: S105  # the demo city's published password
DEMO_VENDOR = "V-AUDIO"
"""The vendor whose person the demo's vendor account is."""
DEMO_VENDOR_EMAIL = "vendor@demo.city"
"""The README's vendor account."""
LIVE_DEVICES = ("LL-AIRBOX-01", "LL-AIRBOX-02", "LL-AIRBOX-03", "LL-AIRBOX-04")


def _live_devices(city: CityProfile) -> list[tuple[str, str, float, float]]:
    """Two devices at each of two schools of the city (or two districts' points)."""
    places = [(s.name, *s.point) for s in city.schools[:2]]
    if len(places) < 2:
        places = [(d.name_zh, *d.point) for d in city.districts[:2]]
    spots = ("校門口", "操場")
    devices = []
    for index, device in enumerate(LIVE_DEVICES):
        name, lat, lon = places[index // 2]
        devices.append((device, f"{name} {spots[index % 2]}", lat, lon))
    return devices


DETECTOR_PILOTS = {
    "acoustic": (
        "AUDIO-DET",
        "聲學事故偵測器（示範） Acoustic crash detectors (demo)",
        "ACOUSTIC",
        3,
        ("traffic", "carAccident", "high", "疑似碰撞 possible collision"),
        (1.0, 0.7, 2, 15),
    ),
    "efence": (
        "CAMPUS-CAM",
        "校園電子圍籬攝影機（示範） Campus e-fence cameras (demo)",
        "EFENCE",
        2,
        ("security", "suspiciousAction", "medium", "有人翻越圍籬 person climbing the fence"),
        (0.5, 0.4, 5, 40),
    ),
}
"""The seed's two kinds of detector pilots (a named pilot's `detectors`): device owner code and
name, device id stem, detectors per field, the event they raise, and (events a day, share
confirmed, fastest and slowest minutes to acknowledge)."""
ALERT_KPIS = (
    ("每日偵測事件數", "detections_day", "件/日", None, 1.0, "higher"),
    ("偵測屬實比例", "share_confirmed", "%", 30.0, 60.0, "higher"),
    ("確認收到時間中位數", "ack_minutes", "分", 30.0, 10.0, "lower"),
)
"""The live KPIs of a detector pilot: name, statistic, unit, baseline, target, direction."""


RECENT = {
    0: [S.PROPOSED, S.SCREENING, S.MATCHED, S.AGREED, S.PREPARING, S.RUNNING],
    1: [S.RUNNING, S.EVALUATING, S.EXTENDED, S.PREPARING, S.WITHDRAWN, S.CLOSED, S.ADOPTED],
}
"""This year's and last year's pilots cycle through these, so that every state is shown."""
_cycle = {0: 0, 1: 0}


def _final_state(rng: random.Random, year: int, track: str, this_year: int) -> S:
    age = max(0, this_year - year)
    if age in RECENT:
        states = RECENT[age]
        _cycle[age] += 1
        return states[_cycle[age] % len(states)]
    # Early bottom-up pilots rarely became services; the challenge track did better.
    if track == "bottom_up":
        weights = {S.WITHDRAWN: 35, S.CLOSED: 45, S.ADOPTED: 8, S.PROCURED: 4, S.EXTENDED: 8}
    else:
        weights = {S.WITHDRAWN: 10, S.CLOSED: 30, S.ADOPTED: 28, S.PROCURED: 20, S.EXTENDED: 12}
    chosen: S = rng.choices(list(weights), weights=list(weights.values()))[0]
    return chosen


def _path(rng: random.Random, final: S, track: str = "challenge", named: bool = False) -> list[S]:
    if final in CHAIN:
        return CHAIN[: CHAIN.index(final) + 1]
    if final == S.WITHDRAWN:
        return [*CHAIN[: rng.randint(1, 6)], S.WITHDRAWN]
    if final == S.CLOSED and not named and rng.random() < (0.5 if track == "bottom_up" else 0.3):
        return [S.PROPOSED, S.SCREENING, S.CLOSED]  # refused in the written review
    return [*CHAIN, final]


def _times(rng: random.Random, path: list[S], start: datetime, now: datetime) -> list[datetime]:
    times = [start]
    for state in path[:-1]:
        low, high = STAY.get(state, (10, 30))
        times.append(times[-1] + timedelta(days=rng.randint(low, high), hours=rng.randint(0, 9)))
    overshoot = times[-1] - (now - timedelta(days=rng.randint(2, 20)))
    if overshoot > timedelta(0):
        times = [t - overshoot for t in times]
    return times


class _Seeder:
    def __init__(self, uow: UnitOfWork, platform: Platform, texts: CityTexts) -> None:
        self.uow = uow
        self.texts = texts
        self.session = uow.session
        self.platform = platform
        self.rng = random.Random(2014)  # noqa: S311  # demo data must be the same on every load
        self.now = utcnow()
        self.fields: dict[str, Field] = {}
        self.booked: dict[tuple[uuid.UUID, date], int] = {}
        self.pilots: list[Pilot] = []
        self.citizen = 0

    def add(self, row: Any) -> Any:
        self.session.add(row)
        return row

    def seed_fields(self) -> None:
        for field in self.texts.fields:
            row = self.add(
                Field(
                    name=field.name,
                    kind=field.kind,
                    department=field.department,
                    address=field.address,
                    latitude=field.point[0],
                    longitude=field.point[1],
                    capacity=field.capacity,
                    availability=[],
                    site_rules="施工與安裝須於非上課（看診）時段進行；影像不得離開場域。",
                    contact=f"場域窗口 {self.texts.contact_phone}",
                    domains=field.domains,
                )
            )
            self.fields[field.key] = row
        self.session.flush()
        self.uow.audit(
            "livinglab.demo.fields", "livinglab", "demo", {"fields": len(self.texts.fields)}
        )

    def pilot(
        self,
        *,
        title: str,
        summary: str,
        domain: str,
        track: str,
        department: str,
        vendor: str,
        field_keys: list[str],
        final: S,
        year: int,
        kpis: Sequence[tuple[str, str, float, float, str, bool]],
        named: bool = False,
    ) -> Pilot:
        rng = self.rng
        start = datetime(year, rng.randint(1, 9), rng.randint(1, 28), 2, 0, tzinfo=UTC)
        path = _path(rng, final, track, named)
        if final == S.EXTENDED and year <= self.now.year - 3 and not named:
            # Long ago extended: the extension ran and was decided too.
            final = rng.choice([S.ADOPTED, S.PROCURED, S.CLOSED])
            path = [*CHAIN, S.EXTENDED, S.RUNNING, S.EVALUATING, final]
        times = _times(rng, path, start, self.now)
        challenge = None
        if track == "challenge":
            challenge = self.add(
                Challenge(
                    title=f"徵求解方：{title}",
                    description=f"公告需求：{summary}",
                    domain=domain,
                    department=department,
                    expected_outcome="五個月場域實證，以量測的成效指標決定是否納入政策或採購。",
                    field_ids=[],
                    opens_on=(times[0] - timedelta(days=60)).date(),
                    closes_on=(times[0] - timedelta(days=5)).date(),
                    status="closed",
                    round=f"{times[0].year}-{1 if times[0].month <= 6 else 2}",
                )
            )
            self.session.flush()
        fields = [self.fields[k] for k in field_keys]
        proposal = self.add(
            Proposal(
                vendor=vendor,
                challenge_id=challenge.id if challenge else None,
                title=title,
                summary=summary,
                technology="感測器、雲端平台與行動 App",
                domain=domain,
                field_ids=[str(f.id) for f in fields],
                field_kinds=sorted({f.kind for f in fields}),
                duration_weeks=20,
                cost_bearer=rng.choice(["vendor", "vendor", "shared", "city"]),
                cost_ntd=rng.randrange(300, 6000) * 1000,
                data_produced="去識別化的量測資料，以開放資料格式提供。",
                risks="設備安裝需場域配合；涉及個資者先做隱私衝擊評估。",
                status="piloted",
                submitted_at=times[0] - timedelta(days=3),
                created_at=times[0] - timedelta(days=10),
            )
        )
        self.session.flush()
        pilot: Pilot = self.add(
            Pilot(
                proposal_id=proposal.id,
                challenge_id=challenge.id if challenge else None,
                title=title,
                summary=summary,
                domain=domain,
                track=track,
                state=final.value,
                department=department if S.MATCHED in path or track == "challenge" else None,
                vendor=vendor,
                published=any(s in path for s in (S.MATCHED,)),
                year=times[0].year,
                created_at=times[0],
                state_changed_at=times[-1],
            )
        )
        if pilot.department is None and final != S.PROPOSED:
            pilot.department = department if rng.random() < 0.5 else None
        self.session.flush()
        previous = None
        for state, when in zip(path, times, strict=True):
            self.add(
                Transition(
                    pilot_id=pilot.id,
                    from_state=previous,
                    to_state=state.value,
                    actor_role="vendor"
                    if state == S.WITHDRAWN and rng.random() < 0.5
                    else "officer",
                    reason=_reason(state),
                    at=when,
                )
            )
            previous = state.value
        if S.AGREED in path:
            pilot.agreement_ref = f"合作備忘錄 {times[0].year - 1911}-{rng.randrange(1000, 9999)}"
            pilot.agreement_signed_on = times[path.index(S.AGREED)].date()
        if S.RUNNING in path:
            since = times[path.index(S.RUNNING)]
            last_run = len(path) - 1 - path[::-1].index(S.RUNNING)
            pilot.running_since = since
            pilot.running_until = times[last_run + 1] if path[-1] != S.RUNNING else None
            self._kpis(pilot, kpis, final, since, pilot.running_until or self.now)
            self._feedback(pilot, final)
            if pilot.year >= self.now.year - 2:
                self._book(pilot, fields, since.date(), (pilot.running_until or self.now).date())
        if S.PREPARING in path:
            self._milestones(pilot, times[path.index(S.PREPARING)], final)
        if S.EVALUATING in path:
            self._scores(pilot, final)
        if final in (S.ADOPTED, S.PROCURED):
            number = rng.randrange(10000, 99999)
            pilot.decision_reference = (
                f"府授資字第 {times[-1].year - 1911}30{number} 號（納入政策）"
                if final == S.ADOPTED
                else f"採購案號 LL{times[-1].year - 1911}-{number}"
            )
            pilot.outcome_summary = "成效指標達標，市民回饋正面，" + (
                "納入市府政策全面推廣。" if final == S.ADOPTED else "以公開招標採購擴大導入。"
            )
        elif final == S.CLOSED and S.EVALUATING in path:
            pilot.outcome_summary = "實證完成但成效或成本未達擴大導入條件，結案並公開結果。"
        elif final == S.EXTENDED:
            pilot.outcome_summary = "部分指標接近目標，延長實證以收集更多數據。"
        pilot.decision_note = pilot.outcome_summary
        self.uow.audit("livinglab.pilot.seeded", "pilot", pilot.id, {"state": final.value})
        self.pilots.append(pilot)
        return pilot

    def _kpis(
        self,
        pilot: Pilot,
        kpis: Sequence[tuple[str, str, float, float, str, bool]],
        final: S,
        since: datetime,
        until: datetime,
    ) -> None:
        success = final in (S.ADOPTED, S.PROCURED) or (
            final not in (S.CLOSED, S.WITHDRAWN) and self.rng.random() < 0.6
        )
        for name, unit, baseline, target, direction, live in kpis:
            if live:
                continue  # the live KPIs are made by seed_live()
            kpi = self.add(
                Kpi(
                    pilot_id=pilot.id,
                    name=name,
                    unit=unit,
                    baseline=baseline,
                    target=target,
                    direction=direction,
                    source="manual",
                )
            )
            self.session.flush()
            reached = target * (1.04 if direction == "higher" else 0.94)
            if not success:
                reached = baseline + (target - baseline) * self.rng.uniform(0.3, 0.8)
            points = 5
            span = max((until - since).days, 5)
            for i in range(points):
                share = (i + 1) / points
                value = (
                    baseline
                    + (reached - baseline) * share
                    + self.rng.uniform(-0.03, 0.03) * (abs(target - baseline) or 1)
                )
                self.add(
                    Measurement(
                        kpi_id=kpi.id,
                        measured_at=since + timedelta(days=span * share - 1),
                        value=round(value, 2),
                        note="月報",
                    )
                )

    def _feedback(self, pilot: Pilot, final: S) -> None:
        good = final in (S.ADOPTED, S.PROCURED, S.EXTENDED, S.RUNNING, S.EVALUATING)
        comments = [
            "很方便，希望全市都有。",
            "一開始不太會用，說明可以再清楚一點。",
            "資料更新速度很快。",
            "希望也能支援長輩使用的語音功能。",
            "有時候顯示不準確。",
            "在現場試用過，比以前排隊快很多。",
        ]
        for _ in range(self.rng.randint(3, 30)):
            self.citizen += 1
            rating = self.rng.choices(
                [1, 2, 3, 4, 5], weights=[1, 2, 4, 8, 7] if good else [4, 6, 6, 3, 1]
            )[0]
            self.add(
                Feedback(
                    pilot_id=pilot.id,
                    user_id=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-citizen/{self.citizen}"),
                    rating=rating,
                    ease=self.rng.randint(2, 5),
                    would_use=rating >= 4,
                    comment=self.rng.choice(comments) if self.rng.random() < 0.4 else "",
                )
            )

    def _scores(self, pilot: Pilot, final: S) -> None:
        base = {S.ADOPTED: 4.2, S.PROCURED: 4.0, S.EXTENDED: 3.4, S.CLOSED: 2.6}.get(final, 3.3)
        for scorer, kind in (("demo-officer", "officer"), ("demo-expert", "expert")):
            for criterion in Criterion:
                value = min(5, max(1, round(base + self.rng.uniform(-0.8, 0.8))))
                self.add(
                    Score(
                        pilot_id=pilot.id,
                        criterion=criterion.value,
                        score=value,
                        scorer_id=scorer,
                        scorer_kind=kind,
                    )
                )

    def _milestones(self, pilot: Pilot, start: datetime, final: S) -> None:
        for offset, title in ((10, "設備安裝完成"), (40, "市民試用開放"), (150, "期末成果報告")):
            due = (start + timedelta(days=offset)).date()
            done = due if due < self.now.date() and final != S.PREPARING else None
            self.add(Milestone(pilot_id=pilot.id, title=title, due_on=due, done_on=done))
        if final in (S.RUNNING, S.EVALUATING):
            self.add(
                StatusReport(
                    pilot_id=pilot.id,
                    status="on_track" if self.rng.random() < 0.7 else "at_risk",
                    body="設備運作正常，市民試用人數持續增加；下月完成期中檢討。",
                    author_role="vendor",
                )
            )

    def _book(self, pilot: Pilot, fields: list[Field], start: date, end: date) -> None:
        for field in fields[:2]:
            days = [start + timedelta(days=i) for i in range((end - start).days + 1)][:200]
            if any(self.booked.get((field.id, d), 0) >= field.capacity for d in days):
                continue
            booking = self.add(
                Booking(field_id=field.id, pilot_id=pilot.id, starts_on=days[0], ends_on=days[-1])
            )
            self.session.flush()
            for day in days:
                slot = self.booked.get((field.id, day), 0)
                self.booked[(field.id, day)] = slot + 1
                self.add(BookingDay(booking_id=booking.id, field_id=field.id, day=day, slot=slot))

    def seed_live(self, pilot: Pilot) -> None:
        """Simulated Airboxes at two schools; the pilot's KPIs are computed from them."""
        since = pilot.running_since or self.now - timedelta(days=30)
        since = since.replace(minute=0, second=0, microsecond=0)
        step = timedelta(hours=2)
        slots = int((self.now - since) / step)
        thing_ids = []
        rng = random.Random(7)  # noqa: S311  # simulated readings, same on every load
        live = _live_devices(self.platform.settings.city_profile)
        for index, (device, name, lat, lon) in enumerate(live):
            thing_ids.append(
                register_station(
                    self.uow,
                    station_id=device,
                    name=name,
                    latitude=lat,
                    longitude=lon,
                    kind="airbox",
                )
            )
            rows = []
            for slot in range(slots):
                if index == 3 and slots // 3 <= slot < slots // 3 + 15:
                    continue  # one device was offline for thirty hours
                when = since + step * slot + timedelta(minutes=3)
                daily = 6 * (1 + math.sin((when.hour - 8) / 24 * 6.283))
                rows.append((when, {"pm25": round(max(2.0, 8 + daily + rng.gauss(0, 3)), 1)}))
            record_readings(self.uow, device, rows)
        snapshots = {
            "online_ratio": (91.0, 96.4, 97.9, 98.2),
            "median": (17.9, 15.6, 14.4, 14.1),
        }
        for name, statistic, unit, baseline, target, direction in (
            ("裝置上線率", "online_ratio", "%", 90.0, 95.0, "higher"),
            ("校園 PM2.5 中位數", "median", "µg/m³", 20.0, 15.0, "lower"),
        ):
            kpi = self.add(
                Kpi(
                    pilot_id=pilot.id,
                    name=name,
                    unit=unit,
                    baseline=baseline,
                    target=target,
                    direction=direction,
                    source="sensor",
                    statistic=statistic,
                    thing_ids=[str(t) for t in thing_ids] if statistic == "online_ratio" else [],
                    device_ids=list(LIVE_DEVICES) if statistic == "median" else [],
                    quantity="pm25" if statistic == "median" else "",
                    expected_interval_s=int(step.total_seconds()),
                )
            )
            self.session.flush()
            for number, value in enumerate(snapshots[statistic], start=1):
                self.add(
                    Measurement(
                        kpi_id=kpi.id,
                        measured_at=since + (self.now - since) * number / 5,
                        value=value,
                        note="快照 snapshot",
                    )
                )

    def seed_detectors(self, pilot: Pilot, field_keys: Sequence[str], detectors: str) -> None:
        """The pilot's detectors with events over its running window, most of them judged, and
        live KPIs from them."""
        owner, owner_name, stem, per_field, kind, pace = DETECTOR_PILOTS[detectors]
        category, sub_category, severity, description = kind
        per_day, confirmed_share, fastest, slowest = pace
        ensure_organisation(self.uow, owner, OrganisationKind.DEVICE_OWNER, owner_name)
        rng = random.Random(21)  # noqa: S311  # simulated events, same on every load
        devices: list[tuple[str, tuple[float, float]]] = []
        for field_key in field_keys:
            field = self.fields[field_key]
            for number in range(per_field):
                device_id = f"{stem}-{len(devices) + 1:02d}"
                register_detector(
                    self.uow,
                    device_id=device_id,
                    owner=owner,
                    name=f"{field.name} #{number + 1}",
                    pilot_id=str(pilot.id),
                    department=pilot.department,
                )
                # A few tens of metres apart around the field's point.
                place = (
                    (field.longitude or 0) + number * 3e-4,
                    (field.latitude or 0) + number * 2e-4,
                )
                devices.append((device_id, place))
        end = (pilot.running_until or self.now) - timedelta(minutes=30)
        start = pilot.running_since or end - timedelta(days=7)
        count = max(6, int(per_day * (end - start) / timedelta(days=1)))
        for index in range(count):
            device_id, (lon, lat) = devices[index % len(devices)]
            issued = start + (end - start) * (index + rng.random()) / count
            event = EventIn(
                alert_source=device_id,
                event_id=f"{device_id}-{index:05d}",
                category=category,
                sub_category=sub_category,
                severity=severity,
                location={"type": "Point", "coordinates": (lon, lat)},
                date_issued=issued,
                description=description,
                data={"confidence": round(rng.uniform(0.55, 0.98), 2), "clip": f"clip-{index:05d}"},
            )
            received = issued + timedelta(seconds=rng.randint(1, 20))
            alert, _new = raise_alert(
                self.uow,
                event,
                device_id=device_id,
                owner=owner,
                source=Source.HTTP,
                max_skew=timedelta(minutes=5),
                received_at=received,
            )
            if index >= count - 2:
                continue  # the newest are still open on the department's console
            seen = received + timedelta(minutes=rng.uniform(fastest, slowest))
            acknowledge(self.uow, alert.id, at=seen)
            if index >= count - 4:
                continue  # acknowledged, being checked
            verdict = Verdict.CONFIRMED if rng.random() < confirmed_share else Verdict.FALSE_ALARM
            resolve(self.uow, alert.id, verdict, "示範 demo", at=seen + timedelta(minutes=20))
        for name, statistic, unit, baseline, target, direction in ALERT_KPIS:
            self.add(
                Kpi(
                    pilot_id=pilot.id,
                    name=name,
                    unit=unit,
                    baseline=baseline,
                    target=target,
                    direction=direction,
                    source="alerts",
                    statistic=statistic,
                )
            )
        self.session.flush()

    def seed_open_calls(self) -> None:
        """This round's open challenges and the proposals waiting to be matched."""
        today = self.now.date()
        for index, (domain, ideas) in enumerate(sorted(IDEAS.items())):
            stem, summary, dept, kind, vendor, _kpi = ideas[-1]
            challenge = self.add(
                Challenge(
                    title=f"{stem}（{today.year - 1911} 年第二梯次徵案）",
                    description=summary,
                    domain=domain,
                    department=dept,
                    expected_outcome="約五個月的場域實證，成效以量測指標評估。",
                    field_ids=[str(self.fields[k].id) for k in self.texts.sites[kind][:2]],
                    opens_on=today - timedelta(days=20),
                    closes_on=today + timedelta(days=40 + index),
                    status="open",
                    round=f"{today.year}-2",
                )
            )
            self.session.flush()
            # One answer sent to the challenge, two bottom-up proposals of the same domain.
            answers = [ideas[-1], ideas[0], ideas[1]]
            for n, (o_stem, o_summary, _d, o_kind, o_vendor, _k) in enumerate(answers):
                self.add(
                    Proposal(
                        vendor=o_vendor if n else vendor,
                        challenge_id=challenge.id if n == 0 else None,
                        title=f"{o_stem}提案",
                        summary=o_summary,
                        technology="雲端平台、感測器與行動 App",
                        domain=domain,
                        field_ids=[],
                        field_kinds=[o_kind],
                        duration_weeks=20,
                        cost_bearer="vendor",
                        cost_ntd=self.rng.randrange(300, 3000) * 1000,
                        data_produced="去識別化量測資料",
                        risks="需場域配合安裝",
                        status="submitted",
                        submitted_at=self.now - timedelta(days=self.rng.randint(1, 15)),
                    )
                )
        self.uow.audit("livinglab.demo.open_calls", "livinglab", "demo", {})

    def seed_barriers(self) -> None:
        by_domain: dict[str, list[Pilot]] = {}
        for pilot in self.pilots:
            if pilot.running_since is not None:
                by_domain.setdefault(pilot.domain, []).append(pilot)
        for index, barrier in enumerate(self.texts.barriers):
            candidates = by_domain.get(barrier.domain) or self.pilots
            pilot = candidates[index % len(candidates)]
            self.add(
                Barrier(
                    pilot_id=pilot.id,
                    department=pilot.department or "SCPMO",
                    law=barrier.law,
                    article=barrier.article,
                    blocks=barrier.blocks,
                    workaround=barrier.workaround,
                    amendment=barrier.amendment,
                    status=barrier.status,
                )
            )
        self.uow.audit(
            "livinglab.demo.barriers", "livinglab", "demo", {"count": len(self.texts.barriers)}
        )

    def seed_elsewhere(self) -> None:
        """Two records signed by other (simulated) cities, imported as pilots elsewhere."""
        for city, title, domain, state, vendor in (
            (e.city, e.title, e.domain, e.state, e.vendor) for e in self.texts.elsewhere
        ):
            secret = hashlib.sha256(f"demo-city/{city}".encode()).digest()
            keys = KeyRing(
                Ed25519PrivateKey.generate(), Ed25519PrivateKey.from_private_bytes(secret), secret
            )
            document: dict[str, Any] = {
                "format": exchange.FORMAT,
                "origin": city,
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{city}/{title}")),
                "title": title,
                "summary": "他市公開的實證紀錄（示範）。",
                "domain": domain,
                "track": "challenge",
                "state": state,
                "department": None,
                "vendor": vendor,
                "year": self.now.year - 2,
                "kpis": [],
                "feedback": {"count": 0, "average_rating": None},
                "evaluation": {"overall": 4.1, "averages": {}},
                "outcome": {"decision": state, "reference": "", "summary": ""},
                "exported_at": "2025-06-30T00:00:00Z",
            }
            exchange.import_record(self.uow, exchange.sign(keys, document), set())


def _place(field: Field, variant: int) -> str:
    """How a generated pilot names where it runs."""
    if field.kind in ("other", "building"):
        districts = [d.name_zh for d in current_city().districts]
        return districts[(variant * 3 + len(field.name)) % len(districts)]
    return field.name


def _reason(state: S) -> str:
    return {
        S.SCREENING: "書面審查",
        S.MATCHED: "場域與主責機關媒合完成",
        S.AGREED: "簽訂合作備忘錄",
        S.RUNNING: "開始場域實證",
        S.EVALUATING: "實證期滿，進入機會評估",
        S.WITHDRAWN: "廠商撤案",
        S.CLOSED: "結案",
    }.get(state, "")


def seed(uow: UnitOfWork, platform: Platform) -> None:
    """Load the demo living lab into the caller's unit of work."""
    for code, name, _name_en in VENDORS:
        ensure_organisation(uow, code, OrganisationKind.VENDOR, name)
    create_staff(
        uow,
        role=Role.OFFICER,
        name="林顧問（外部評審專家）",
        email="expert@demo.city",
        password=DEMO_PASSWORD,
        department_code="SCPMO",
        staff_roles=["expert"],
    )
    # The README's vendor account: a person of the vendor that runs the crash-detector pilot.
    add_member(
        uow,
        DEMO_VENDOR,
        name="陳經理（聲紋科技）",
        email=DEMO_VENDOR_EMAIL,
        password=DEMO_PASSWORD,
    )
    _cycle.update({0: 0, 1: 0})
    seeder = _Seeder(uow, platform, city_texts(platform.settings.city))
    seeder.seed_fields()
    this_year = seeder.now.year
    live = None
    detector_pilots = []
    for named in seeder.texts.named:
        pilot = seeder.pilot(
            title=named.title,
            summary=named.summary,
            domain=named.domain,
            track=named.track,
            department=named.department,
            vendor=named.vendor,
            field_keys=named.fields,
            final=S(named.final),
            year=min(named.year, this_year),
            kpis=[(k.name, k.unit, k.baseline, k.target, k.direction, k.live) for k in named.kpis],
            named=True,
        )
        if any(k.live for k in named.kpis):
            live = pilot
        if named.detectors:
            detector_pilots.append((pilot, named.fields, named.detectors))
    rng = seeder.rng
    for domain, ideas in sorted(IDEAS.items()):
        for stem, summary, dept, kind, vendor, kpi in ideas:
            sites = seeder.texts.sites[kind]
            for variant in range(6):
                site = sites[(variant + len(stem)) % len(sites)]
                year = rng.randint(2016, this_year)
                track = (
                    "bottom_up"
                    if (year <= 2018 and rng.random() < 0.8) or rng.random() < 0.35
                    else "challenge"
                )
                name, unit, baseline, target, direction = kpi
                seeder.pilot(
                    title=f"{_place(seeder.fields[site], variant)}{stem}",
                    summary=summary,
                    domain=domain,
                    track=track,
                    department=dept,
                    vendor=vendor,
                    field_keys=[site],
                    final=_final_state(rng, year, track, this_year),
                    year=year,
                    kpis=[
                        (name, unit, baseline, target, direction, False),
                        ("市民滿意度", "分", 3.0, 4.0, "higher", False),
                    ],
                )
    if live is not None:
        seeder.seed_live(live)
    for pilot, keys, detectors in detector_pilots:
        seeder.seed_detectors(pilot, keys, detectors)
    seeder.seed_open_calls()
    seeder.seed_barriers()
    seeder.seed_elsewhere()
    # The rows above were inserted directly: have the worker embed their texts now, so the
    # demo's matching reads meaning from its first minutes, not after the hourly job.
    semantic.request_missing(uow, platform)
