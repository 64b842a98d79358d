"""Reconciliation: a provider's settlement file against the payments recorded here.

The whole pipeline is columnar. The file is parsed and validated by Polars
(`settlement_files`), or on SQLite only scanned by compiled code (`settlement_scan`). On
SQLite, the file's lines are grouped into the buckets of `fingerprints` and compared with the
sums the database keeps per bucket (ADR 9): every line of an agreeing bucket is matched
without reading its payment, and only the payments of the other buckets are read — as
columns, in one query. One join classifies the lines left; only the report, its exceptions
and the few payments to record or mark are written, in the caller's transaction, with one
audit entry. On SQLite the settlement *covers* its window instead of writing a mark on each
matched payment (see `models.settled`).

`reading` reads both sides and finds the agreeing buckets, `matching` classifies and records
the rest, `reports` shows the outcome to those who may see it, and `findings` lets people close
what it found.
"""

from __future__ import annotations

from smartcity.modules.payments.reconciliation.findings import (
    CORRECTABLE,
    accept_finding,
    assign_finding,
    correct_finding,
    get_finding,
)
from smartcity.modules.payments.reconciliation.matching import Progress, reconcile
from smartcity.modules.payments.reconciliation.reports import (
    REPORT_COLUMNS,
    daily_report,
    findings_of,
    get_settlement,
    list_settlements,
    report_for,
    settlement_report,
    unknown_reason,
)

__all__ = [
    "CORRECTABLE",
    "REPORT_COLUMNS",
    "Progress",
    "accept_finding",
    "assign_finding",
    "correct_finding",
    "daily_report",
    "findings_of",
    "get_finding",
    "get_settlement",
    "list_settlements",
    "reconcile",
    "report_for",
    "settlement_report",
    "unknown_reason",
]
