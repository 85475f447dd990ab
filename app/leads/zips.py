"""US ZIP codes and distances (service areas, issue 13).

The ZIP data is the `zipcodes` package's bundled dataset (no network at run time), indexed once
per process. Distances are equirectangular miles computed from the *lead's* latitude: the same
arithmetic runs in SQL (app/leads/pool_query.py: plain + - * on stored lat/lon, compared as
squares so neither database needs sqrt or trig), so a provider is "within 10 miles" in Python
exactly when the routing query says so. Within 200 miles the error against great-circle
distance stays under 0.5 %.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

MILES_PER_DEGREE = 69.093  # Earth's mean radius (3,958.8 mi) x pi / 180
MAX_RADIUS_MILES = 200
ZIP_RE = re.compile(r"(\d{5})(?:-?\d{4})?")
UNKNOWN_ZIP = "Enter a 5-digit US ZIP code we know (for example 77002)."


@dataclass(frozen=True)
class Zip:
    code: str
    city: str
    state: str
    lat: float
    lon: float

    @property
    def place(self) -> str:
        return f"{self.city}, {self.state}"


@cache
def _index() -> dict[str, Zip]:
    import zipcodes  # loads its JSON (about 0.4 s) on first use

    index = {}
    for row in zipcodes.list_all():
        try:
            lat, lon = float(row["lat"]), float(row["long"])
        except (TypeError, ValueError, KeyError):
            continue
        index[row["zip_code"]] = Zip(row["zip_code"], row["city"].title(), row["state"], lat, lon)
    return index


def normalize(raw: str | None) -> str | None:
    """'77002', ' 77002-1234 ' -> '77002'; anything else -> None (shape only)."""
    match = ZIP_RE.fullmatch((raw or "").strip())
    return match.group(1) if match else None


def lookup(raw: str | None) -> Zip | None:
    code = normalize(raw)
    return _index().get(code) if code else None


def check(raw: str | None) -> tuple[str | None, str | None]:
    """(the 5-digit ZIP, None) for a known ZIP; (None, None) for nothing typed; (None, message)
    for a ZIP that is malformed or not in the dataset."""
    if not (raw or "").strip():
        return None, None
    found = lookup(raw)
    return (found.code, None) if found else (None, UNKNOWN_ZIP)


def scale(lat: float) -> tuple[float, float]:
    """Miles per degree of (latitude, longitude) at `lat` (the lead's latitude)."""
    return MILES_PER_DEGREE, MILES_PER_DEGREE * math.cos(math.radians(lat))


def miles(origin_lat: float, origin_lon: float, lat: float, lon: float) -> float:
    """Distance from the origin (the lead's ZIP) to a point, in miles (see the module note)."""
    ky, kx = scale(origin_lat)
    return math.hypot((lat - origin_lat) * ky, (lon - origin_lon) * kx)


def bbox(lat: float, lon: float, radius: float) -> tuple[float, float, float, float]:
    """(min lat, max lat, min lon, max lon) of a circle of `radius` miles around a point, a
    little generous (the lead's own latitude sets the longitude scale in the exact test)."""
    dlat = radius / MILES_PER_DEGREE
    widest = max(abs(lat) + dlat, 0.0)
    dlon = radius / (MILES_PER_DEGREE * max(math.cos(math.radians(min(widest, 89.0))), 0.01))
    return lat - dlat * 1.01, lat + dlat * 1.01, lon - dlon * 1.01, lon + dlon * 1.01


def within(center: Zip, radius: float) -> list[tuple[Zip, float]]:
    """The ZIPs whose centre is within `radius` miles of `center`, nearest first (what a
    provider's radius covers, in the same distance the routing query uses from each lead)."""
    lo_lat, hi_lat, lo_lon, hi_lon = bbox(center.lat, center.lon, radius)
    found = []
    for z in _index().values():
        if lo_lat <= z.lat <= hi_lat and lo_lon <= z.lon <= hi_lon:
            d = miles(z.lat, z.lon, center.lat, center.lon)
            if d <= radius:
                found.append((z, d))
    return sorted(found, key=lambda zd: (zd[1], zd[0].code))
