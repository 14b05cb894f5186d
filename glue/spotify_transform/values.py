"""Pure Python: JSON values as Spotify sends them -> the plain values of typed columns.

Spotify changes its responses under its users: every coercion here turns a value of an unexpected type into None
(store what comes, never crash on a re-shaped field), except as_id, which raises ValueError for a present id of
another type: a record whose identity cannot be read is rejected, not written without it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Mapping

# The ranges of the int and bigint columns.
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_RELEASE_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def as_str(value: Any) -> str | None:
    """Strings as sent; numbers and booleans as text; objects/arrays as compact JSON (store what comes)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def as_int(value: Any, bounds: tuple[int, int] = INT32) -> int | None:
    """Integers (or integral floats / digit strings) within the column's range; anything else is null."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+-]?\d+", text):
            return None
        value = int(text)
    elif not isinstance(value, int):
        return None
    return value if bounds[0] <= value <= bounds[1] else None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_id(value: Any) -> str | None:
    """A Spotify id: a non-empty string. Raises ValueError for a present id of another type (unreadable record)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    raise ValueError(f"id is a {type(value).__name__}, not a string: {value!r}")


def obj(value: Any) -> Mapping[str, Any]:
    """The value if it is a JSON object, else an empty one (a missing or re-shaped sub-object reads as absent)."""
    # json.loads makes every object a dict; isinstance against typing.Mapping costs ~10x more in this hot path.
    return value if isinstance(value, dict) else {}


def first_image_url(images: Any) -> str | None:
    if isinstance(images, list):
        for image in images:
            url = obj(image).get("url")
            if isinstance(url, str) and url:
                return url
    return None


def parse_utc_timestamp(value: Any) -> dt.datetime | None:
    """ISO 8601 ('2026-11-25T06:00:03.120Z', offsets, or naive = UTC) -> aware UTC datetime; None if not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def timestamp_micros(value: Any) -> int | None:
    parsed = parse_utc_timestamp(value)
    if parsed is None:
        return None
    delta = parsed - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def normalise_release_date(raw: Any) -> str | None:
    """'YYYY' -> YYYY-01-01, 'YYYY-MM' -> YYYY-MM-01, 'YYYY-MM-DD' as is; '0000', impossible dates, garbage -> None."""
    if not isinstance(raw, str):
        return None
    match = _RELEASE_DATE.match(raw.strip())
    if not match:
        return None
    year, month, day = int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:  # year 0 ("0000"), month 13, 31 February...
        return None


def genres_text(value: Any) -> str | None:
    """Genres as one comma-separated string: null when not sent, '' when Spotify sent an empty list."""
    if not isinstance(value, list):
        return None
    return ",".join(g for g in (as_str(v) for v in value) if g)
