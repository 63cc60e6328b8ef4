"""Build `chalicelib/inventory/data/zip_centroids.bin` from the `zipcodes` package (`make zip-index`).

Run after upgrading `zipcodes` in requirements-dev.txt; `tests/unit/test_geo.py` fails until the
committed index matches the installed package's data again. The Lambda never imports `zipcodes`.
"""

from __future__ import annotations

import sys
from decimal import Decimal

from chalicelib.inventory import geo


def source_rows() -> list[tuple[int, int, int]]:
    """Every ZIP of the `zipcodes` data set with its centroid in 1e-4 degrees (exact, no rounding)."""
    import zipcodes

    rows = []
    for entry in zipcodes.list_all():
        if not entry["lat"] or not entry["long"]:
            continue
        lat, lon = Decimal(entry["lat"]) * geo.SCALE, Decimal(entry["long"]) * geo.SCALE
        if lat != lat.to_integral_value() or lon != lon.to_integral_value():
            raise ValueError(
                f"{entry['zip_code']}: more precision than the index keeps ({entry['lat']}, {entry['long']})"
            )
        rows.append((int(entry["zip_code"]), int(lat), int(lon)))
    return rows


def build() -> bytes:
    return geo.encode(source_rows())


def main() -> int:
    data = build()
    with open(geo.INDEX_PATH, "wb") as file:
        file.write(data)
    print(f"wrote {geo.INDEX_PATH} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
