"""Settlement files, read and validated column-wise with Polars.

Formats:
- CSV with a header `provider_txn_id,reference,amount,paid_at` (paid_at ISO 8601; a time
  without zone is in the city's time zone).
- The convenience-store fixed-width record, 67 characters a line: debit date 8 (YYYYMMDD) |
  paid date 8 | write-off number 16 | amount 9 | due 4 (ROC YYMM) | collection agent 8 |
  payee account 14.

Every line is checked; a file with bad lines is refused whole (nothing of it is half-applied)
and the problem names every bad line with its number and reason. Values the vectorised casts
cannot vouch for (unusual ISO 8601 shapes, years before 1980) go through the exact Python
rules one by one, so the fast path never accepts what the Python rules would refuse.
"""

from __future__ import annotations

import csv
import functools
import io
import mmap
import re
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from smartcity.core.time import as_utc, city_zone
from smartcity.modules.payments import errors
from smartcity.modules.payments.values import SettlementFormat

FileBytes = bytes | mmap.mmap
"""A file's bytes, in memory or mapped from disk (the CLI maps the file it reconciles)."""
BOM = b"\xef\xbb\xbf"
MAX_LINES = 2_000_000
FIXED_WIDTH = 67
HEADER = ["provider_txn_id", "reference", "amount", "paid_at"]
LISTED = 1000
"""Bad lines named in one problem (the count says how many there are in all)."""

COLUMNS: dict[str, pl.DataType] = {
    "line_no": pl.Int64(),
    "provider_txn_id": pl.String(),
    "reference": pl.String(),
    "amount": pl.Int64(),
    "paid_at": pl.Datetime("us", "UTC"),
    "day": pl.Date(),
}
"""The parsed file: one row per good line; `day` is the city's date it was paid."""

# What Python's str.strip() strips, so the columns are trimmed exactly as before. Polars'
# default strip differs only by these four separators, which Python counts as space.
_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_PY_ONLY_SPACE = (b"\x1c", b"\x1d", b"\x1e", b"\x1f")
# Python's str.splitlines() also breaks at these; Polars reads lines at "\n" only.
_OTHER_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8")
_RAW: dict[str, pl.DataType] = dict.fromkeys(("txn", "ref", "amt", "paid"), pl.String())
# The shapes the vectorised cast takes (as datetime.isoformat() writes them, from 1980 on);
# a stamp of any other shape is read by datetime.fromisoformat, one by one.
_ISO = r"^(19[89][0-9]|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9](\.[0-9]{1,6})?"
_AWARE = (_ISO + r"[+-](0[0-9]|1[0-4]):[0-5][0-9]$", "%Y-%m-%dT%H:%M:%S%.f%:z")
_NAIVE = (_ISO + "$", "%Y-%m-%dT%H:%M:%S%.f")
_SHAPES = [_AWARE, _NAIVE]


@functools.cache
def _fixed_offset(zone: ZoneInfo) -> int | None:
    # Sampled twice a month, which any daylight-saving season or lasting change of offset spans.
    offsets = {
        datetime(year, month, day, 12, tzinfo=zone).utcoffset()
        for year in range(1980, 2101)
        for month in range(1, 13)
        for day in (1, 15)
    }
    if len(offsets) != 1:
        return None
    (offset,) = offsets
    return None if offset is None else int(offset.total_seconds()) // 60


def zone_minutes() -> int | None:
    """The city's time zone's offset from UTC in minutes when it has been one fixed offset since
    1980 (the vectorised and compiled paths' stamps), or None when it moves (daylight saving):
    then every stamp takes the exact path."""
    return _fixed_offset(city_zone())


def detect_format(data: FileBytes) -> SettlementFormat:
    """CSV when the first line is the CSV header, otherwise fixed-width."""
    first = _without_bom(data[:4096]).split(b"\n", 1)[0].strip()
    return SettlementFormat.CSV if first.startswith(b"provider_txn_id") else SettlementFormat.FIXED


def mapped(file: Path) -> FileBytes:
    """A file's bytes, mapped rather than copied: a day's file can be a hundred MB. The map
    stays open until it is garbage (an error's traceback may still hold arrays over it)."""
    with file.open("rb") as handle:
        if file.stat().st_size == 0:  # an empty file cannot be mapped
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def parse(data: str | FileBytes, fmt: SettlementFormat) -> pl.DataFrame:
    """The file as a frame of `COLUMNS`, or InvalidInput naming every bad line."""
    if isinstance(data, mmap.mmap):
        data = data[:]
    raw = _without_bom(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    try:
        frame, bad = _csv(raw) if fmt == SettlementFormat.CSV else _fixed(raw)
    except (pl.exceptions.PolarsError, UnicodeDecodeError):
        raise errors.InvalidFile("the file must be UTF-8 text") from None
    if bad.height:
        first = bad.row(0, named=True)
        raise errors.InvalidFile(
            f"line {first['line']}: {first['reason']}",
            bad_lines=bad.height,
            lines=bad.head(LISTED).to_dicts(),
        )
    if frame.height > MAX_LINES:
        raise errors.InvalidFile("the file has too many lines")
    return frame


def fixed_record(
    debit_day: date,
    paid_day: date,
    reference: str,
    amount: int,
    due: str,
    agent: str,
    payee: str,
) -> str:
    """One fixed-width record (for tests, demos and the sandbox)."""
    return (
        f"{debit_day:%Y%m%d}{paid_day:%Y%m%d}{reference:>16}{amount:09d}{due:>4}"
        f"{agent:<8}{payee:>14}"
    )[:FIXED_WIDTH]


def bom_length(data: FileBytes) -> int:
    """How many bytes of byte-order marks the file starts with (editors repeat them)."""
    length = 0
    while data[length : length + len(BOM)] == BOM:
        length += len(BOM)
    return length


def _without_bom(data: bytes) -> bytes:
    return data[bom_length(data) :]


def _strip(column: str, *, exotic: bool) -> pl.Expr:
    text = pl.col(column)
    return text.str.strip_chars(_SPACE) if exotic else text.str.strip_chars()


def _spaces(raw: bytes) -> str:
    """How values must be trimmed: "none" (no white space anywhere), "usual" or "exotic"."""
    if any(b in raw for b in _PY_ONLY_SPACE):
        return "exotic"
    if raw.isascii() and not any(b in raw for b in (b" ", b"\t", b"\x0b", b"\x0c", b"\r")):
        return "none"
    return "usual"


def _amount(text: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(whole NTD of at most 12 digits?, the value)."""
    return text.str.contains(r"^[0-9]{1,12}$"), text.cast(pl.Int64, strict=False)


def _bad(frame: pl.DataFrame, reason: pl.Expr) -> pl.DataFrame:
    """The lines whose `reason` is not null, as (line, reason), in file order."""
    return (
        frame.lazy()
        .select(pl.col("line_no").alias("line"), reason.alias("reason"))
        .filter(pl.col("reason").is_not_null())
        .collect()
    )


# -- CSV -------------------------------------------------------------------------------------


def _csv(raw: bytes) -> tuple[pl.DataFrame, pl.DataFrame]:
    if b"\x00" in raw:
        raise errors.InvalidFile("not a CSV file: line contains NUL")
    spaces = _spaces(raw)
    if b'"' in raw or (b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n")):
        # Quoted fields and bare carriage returns: the csv module's rules, line by line.
        return _validate_csv(_quoted_rows(raw.decode("utf-8")).lazy(), spaces, _SHAPES)[:2]
    end = raw.find(b"\n")
    header = raw[: end if end >= 0 else len(raw)].removesuffix(b"\r")
    _check_header(header.decode("utf-8").split(",") if raw else None)
    if end < 0:
        return pl.DataFrame(schema=COLUMNS), pl.DataFrame(schema={"line": pl.Int64})
    # Machine-written files stamp every line alike: the first line's shape is tried first.
    stop = raw.find(b"\n", end + 1)
    second = raw[end + 1 : stop if stop >= 0 else None].rsplit(b",", 1)[-1].strip()
    sample = second.decode("utf-8", "replace")
    shapes = [s for s in _SHAPES if re.match(s[0], sample)] or _SHAPES
    try:
        frame, bad, suspect = _validate_csv(_plain_rows(raw), spaces, shapes)
        # A blank or short line reads as empty fields: only then is each line split and
        # its fields counted, so that the line numbers and reasons are exact.
        if not suspect:
            return frame, bad
    except pl.exceptions.PolarsError:  # a line with more than four fields
        pass
    return _validate_csv(_split_lines(raw), spaces, _SHAPES)[:2]


def _check_header(fields: list[str] | None) -> None:
    if fields is None or [f.strip() for f in fields] != HEADER:
        raise errors.InvalidFile("the first line must be provider_txn_id,reference,amount,paid_at")


def _plain_rows(raw: bytes) -> pl.LazyFrame:
    """The rows of a file without quotes (`raw` with its header), numbered from 2."""
    return (
        pl.scan_csv(
            raw,
            has_header=False,
            skip_lines=1,
            new_columns=list(_RAW),
            schema_overrides=_RAW,
            infer_schema=False,
            quote_char=None,
            empty_string_is_null=False,
            raise_if_empty=False,
        )
        .with_row_index("line_no", 2)
        .with_columns(
            pl.col("line_no").cast(pl.Int64),
            pl.lit(4, pl.Int64).alias("fields"),
            pl.any_horizontal(pl.col(name) == "" for name in _RAW).alias("suspect"),
        )
    )


def _split_lines(raw: bytes) -> pl.LazyFrame:
    """Each non-blank line after the header, split at commas, its fields counted."""
    return (
        pl.scan_lines(raw, row_index_name="line_no", row_index_offset=1)
        .slice(1)
        .filter(pl.col("line") != "")
        .select(
            pl.col("line_no").cast(pl.Int64),
            (pl.col("line").str.count_matches(",", literal=True) + 1)
            .cast(pl.Int64)
            .alias("fields"),
            pl.col("line").str.split_exact(",", 3).alias("f"),
            pl.lit(value=False).alias("suspect"),
        )
        .unnest("f")
        .rename({f"field_{i}": name for i, name in enumerate(_RAW)})
    )


def _quoted_rows(text: str) -> pl.DataFrame:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        _check_header(next(reader, None))
        rows = [(n, row) for n, row in enumerate(reader, start=2) if row]
    except csv.Error as error:
        raise errors.InvalidFile(f"not a CSV file: {error}") from None
    return pl.DataFrame(
        {
            "line_no": [n for n, _ in rows],
            "fields": [len(row) for _, row in rows],
            "suspect": [False] * len(rows),
            **{
                name: [row[i] if len(row) == 4 else None for _, row in rows]
                for i, name in enumerate(_RAW)
            },
        },
        schema={"line_no": pl.Int64, "fields": pl.Int64, "suspect": pl.Boolean, **_RAW},
    )


def _validate_csv(
    rows: pl.LazyFrame, spaces: str, shapes: list[tuple[str, str]]
) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """(the good lines, the bad ones, whether a line looked blank or short)."""
    amount_ok, amount = _amount(pl.col("amt"))
    if spaces != "none":
        rows = rows.with_columns(_strip(name, exotic=spaces == "exotic") for name in _RAW)
    checked = rows.select(
        "line_no",
        "suspect",
        "paid",
        pl.when(pl.col("fields") != 4)
        .then(pl.lit("expected 4 fields"))
        .when(~pl.col("txn").str.len_chars().is_between(1, 64))
        .then(pl.lit("provider_txn_id is 1–64 characters"))
        .when(~amount_ok)
        .then(pl.lit("the amount must be whole NTD"))
        .when(amount <= 0)
        .then(pl.lit("the amount must be positive"))
        .alias("reason"),
        pl.col("txn").alias("provider_txn_id"),
        pl.col("ref").str.slice(0, 32).alias("reference"),
        amount.alias("amount"),
    ).collect()
    checked = _exact_paid_at(_paid_at(checked, shapes))
    bad = _bad(
        checked,
        pl.when(pl.col("reason").is_not_null())
        .then(pl.col("reason"))
        .when(pl.col("paid_at").is_null())
        .then(pl.lit("paid_at is not ISO 8601")),
    )
    return checked.select(list(COLUMNS)), bad, bool(checked["suspect"].any())


# The shapes datetime.isoformat() writes (no fraction or six digits; offset or none): their
# whole seconds take Polars' fixed-width parse, several times faster than a format with %.f.
_ISOFORMAT = (
    r"^(19[89][0-9]|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-5][0-9]"
    r"(\.[0-9]{6})?([+-](0[0-9]|1[0-4]):[0-5][0-9])?$"
)
_MINUTE = 60_000_000
_DAY_MICROS = 1440 * _MINUTE


def _paid_at(checked: pl.DataFrame, shapes: list[tuple[str, str]]) -> pl.DataFrame:
    """`checked` with paid_at and its local day wherever a vectorised parse vouches for them.

    Stamps of isoformat()'s shapes are read in parts; any other stamp goes through Polars'
    parse of the ISO 8601 shapes (`_fast_paid_at`), and what is still left through Python's."""
    local_minutes = zone_minutes()
    if local_minutes is None:
        return checked.with_columns(
            pl.lit(None, COLUMNS["paid_at"]).alias("paid_at"), pl.lit(None, pl.Date).alias("day")
        )
    text = checked["paid"]
    length = text.str.len_bytes()
    canonical = text.str.contains(_ISOFORMAT).fill_null(value=False)
    aware = canonical & length.is_in([25, 32])
    tails = text.str.slice(-6)
    offsets = {
        tail: (-1 if tail[0] == "-" else 1) * (int(tail[1:3]) * 60 + int(tail[4:6]))
        for tail in tails.filter(aware).unique().to_list()
    }
    seconds = text.str.slice(0, 19).str.strptime(
        pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False
    )
    fraction = text.str.slice(20, 6).cast(pl.Int64, strict=False)
    frame = checked.with_columns(
        pl.when(canonical)
        .then(
            seconds.dt.epoch("us")
            + pl.when(length.is_in([26, 32])).then(fraction).otherwise(0)
            - pl.when(aware)
            .then(tails.replace_strict(offsets, default=0, return_dtype=pl.Int64))
            .otherwise(local_minutes)
            * _MINUTE
        )
        .alias("micros")
    )
    rest = frame.filter(pl.col("micros").is_null())
    if rest.height:
        parsed = rest.select(
            "line_no", *_fast_paid_at(pl.col("paid"), shapes, pl.duration(minutes=local_minutes))
        )
        frame = frame.update(
            parsed.select("line_no", pl.col("paid_at").dt.epoch("us").alias("micros")),
            on="line_no",
        )
    return frame.with_columns(
        pl.col("micros").cast(COLUMNS["paid_at"]).alias("paid_at"),
        ((pl.col("micros") + local_minutes * _MINUTE) // _DAY_MICROS)
        .cast(pl.Int32)
        .cast(pl.Date)
        .alias("day"),
    ).drop("micros")


def _fast_paid_at(
    text: pl.Expr, shapes: list[tuple[str, str]], local_offset: pl.Expr
) -> tuple[pl.Expr, pl.Expr]:
    """(paid_at, day) for stamps of the given ISO 8601 shapes; null for any other."""
    moments = []
    for pattern, form in shapes:
        parsed: pl.Expr = pl.when(text.str.contains(pattern)).then(
            text.str.to_datetime(form, strict=False, time_unit="us")
        )
        moments.append(
            parsed if form == _AWARE[1] else (parsed - local_offset).dt.replace_time_zone("UTC")
        )
    moment = pl.coalesce(moments)
    return moment.alias("paid_at"), (moment + local_offset).dt.date().alias("day")


def _exact_paid_at(checked: pl.DataFrame) -> pl.DataFrame:
    """paid_at (and its local day) of the good lines the fast path left null, by Python's rules."""
    rest = checked.filter(pl.col("reason").is_null() & pl.col("paid_at").is_null())
    if not rest.height:
        return checked
    exact = [_python_paid_at(text) for text in rest["paid"].to_list()]
    parsed = pl.DataFrame(
        {
            "line_no": rest["line_no"],
            "exact": exact,
            "exact_day": [m.astimezone(city_zone()).date() if m else None for m in exact],
        },
        schema={"line_no": pl.Int64, "exact": COLUMNS["paid_at"], "exact_day": pl.Date},
    )
    return (
        checked.join(parsed, on="line_no", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("paid_at", "exact").alias("paid_at"),
            pl.coalesce("day", "exact_day").alias("day"),
        )
        .drop("exact", "exact_day")
    )


def _python_paid_at(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=city_zone())
        utc = as_utc(moment)
        utc.astimezone(city_zone())  # its local day must exist too
        return utc
    except (ValueError, OverflowError):
        return None


# -- fixed width -----------------------------------------------------------------------------


def _fixed(raw: bytes) -> tuple[pl.DataFrame, pl.DataFrame]:
    plain = not any(b in raw for b in _OTHER_BREAKS) and b"\xe2\x80\xa9" not in raw
    if plain and (b"\r" not in raw or raw.count(b"\r") == raw.count(b"\r\n")):
        lines = pl.scan_lines(raw, row_index_name="line_no", row_index_offset=1)
    else:  # line breaks only Python's splitlines() knows
        text = raw.decode("utf-8").splitlines()
        lines = pl.LazyFrame(
            {"line_no": range(1, len(text) + 1), "line": [t.rstrip("\r") for t in text]},
            schema={"line_no": pl.Int64, "line": pl.String},
        )
    exotic = _spaces(raw) == "exotic"
    record = pl.col("line")
    amount_ok, amount = _amount(_strip("amt", exotic=exotic))
    checked = (
        lines.filter(_strip("line", exotic=exotic) != "")
        .select(
            pl.col("line_no").cast(pl.Int64),
            record.str.len_chars().alias("width"),
            record.str.slice(0, 8).alias("debit"),
            record.str.slice(8, 8).alias("paid"),
            record.str.slice(16, 16).alias("ref"),
            record.str.slice(32, 9).alias("amt"),
            record.str.slice(41, 4).alias("due"),
            record.str.slice(45, 8).alias("agent"),
        )
        .with_columns(
            amount_ok.alias("amount_ok"),
            amount.alias("amount"),
            _strip("agent", exotic=exotic).alias("agent"),
            _strip("ref", exotic=exotic).alias("reference"),
            _date(pl.col("paid")).alias("day"),
        )
        .collect()
    )
    reason = (
        pl.when(pl.col("width") != FIXED_WIDTH)
        .then(pl.format(f"a record is {FIXED_WIDTH} characters, not {{}}", "width"))
        .when(~pl.col("debit").str.contains(r"^[0-9]{8}$"))
        .then(pl.lit("the debit date is YYYYMMDD"))
        .when(
            ~_is_date(
                pl.col("debit"), pl.col("debit").str.strptime(pl.Date, "%Y%m%d", strict=False)
            )
        )
        .then(pl.lit("the debit date is not a date"))
        .when(~pl.col("paid").str.contains(r"^[0-9]{8}$"))
        .then(pl.lit("the paid date is YYYYMMDD"))
        .when(~_is_date(pl.col("paid"), pl.col("day")))
        .then(pl.lit("the paid date is not a date"))
        .when(~pl.col("amount_ok"))
        .then(pl.lit("the amount must be whole NTD"))
        .when(pl.col("amount") <= 0)
        .then(pl.lit("the amount must be positive"))
        .when(~pl.col("due").str.contains(r"^[0-9]{4}$"))
        .then(pl.lit("the due field is ROC YYMM"))
    )
    bad = _bad(checked, reason)
    if bad.height:
        return pl.DataFrame(schema=COLUMNS), bad
    # Paid at local noon: a handful of distinct dates, each converted exactly.
    noon = {
        day: as_utc(datetime.combine(day, time(12), city_zone())) for day in checked["day"].unique()
    }
    frame = checked.select(
        "line_no",
        # The store file carries no transaction id: the line (agent, reference, date,
        # amount) stands for it.
        pl.concat_str(
            pl.when(pl.col("agent") == "").then(pl.lit("STORE")).otherwise("agent"),
            pl.lit("-"),
            "paid",
            pl.lit("-"),
            "ref",
            pl.lit("-"),
            pl.col("amount").cast(pl.String),
        )
        .str.slice(0, 64)
        .alias("provider_txn_id"),
        "reference",
        "amount",
        pl.col("day").replace_strict(noon, return_dtype=COLUMNS["paid_at"]).alias("paid_at"),
        "day",
    )
    return frame, bad


def _date(text: pl.Expr) -> pl.Expr:
    return text.str.strptime(pl.Date, "%Y%m%d", strict=False)


def _is_date(text: pl.Expr, parsed: pl.Expr) -> pl.Expr:
    """YYYYMMDD that is a real date of years 1–9999, as Python's date() demands."""
    return (~text.str.starts_with("0000") & (parsed.dt.strftime("%Y%m%d") == text)).fill_null(
        value=False
    )
