"""Zip codes to coordinates, offline, and the great-circle distance between them. Pure: no AWS.

The data is the `zipcodes` PyPI package's (every US ZIP with its centroid), compacted at build time
(`make zip-index`, `tools/zip_index.py`) into `data/zip_centroids.bin` (385 KB on disk, about 180 KB
in the deployment zip): the Lambda never ships or loads the package's full JSON. Layout:

    b"SRZ2" | uint32 count (little-endian) | 9 byte planes of `count` bytes each

rows sorted by zip; three 24-bit little-endian columns, each split into byte planes (all lowest
bytes, then all middle bytes, then all highest): the zip as an integer, latitude and longitude in
1e-4 degrees as two's complement (the source's own precision, so the index is lossless; |lon| <
1.8 million fits in 24 bits). Planes compress well (the deployment zip deflates them) and need no
decoding: a lookup is a binary search reading three bytes per probe straight from the file's bytes.
So the first lookup in a cold process costs one file read, and this module imports only small parts
of the standard library.
"""

from __future__ import annotations

import math
import os
import struct

INDEX_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "zip_centroids.bin")
MAGIC = b"SRZ2"
WIDTH = 3  # bytes per value
COLUMNS = 3  # zip, latitude, longitude
SCALE = 10_000  # coordinates are stored in 1e-4 degrees
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


class Point:
    """A position in decimal degrees (a plain class: no dataclass or typing machinery at import)."""

    __slots__ = ("latitude", "longitude")

    def __init__(self, latitude: float, longitude: float) -> None:
        self.latitude, self.longitude = latitude, longitude

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.latitude, self.longitude) == (other.latitude, other.longitude)

    def __hash__(self) -> int:
        return hash((self.latitude, self.longitude))

    def __repr__(self) -> str:
        return f"Point({self.latitude}, {self.longitude})"


class _Index:
    """The file's bytes, read in place: `planes[c][b][i]` is byte `b` of column `c` of row `i`."""

    __slots__ = ("count", "planes")

    def __init__(self, data: bytes) -> None:
        if data[:4] != MAGIC:
            raise ValueError("not a zip centroid index")
        (self.count,) = struct.unpack("<I", data[4:8])
        view = memoryview(data)[8:]
        if len(view) != COLUMNS * WIDTH * self.count:
            raise ValueError("truncated zip centroid index")
        self.planes = [
            [view[(c * WIDTH + b) * self.count : (c * WIDTH + b + 1) * self.count] for b in range(WIDTH)]
            for c in range(COLUMNS)
        ]

    def value(self, column: int, row: int) -> int:
        low, middle, high = self.planes[column]
        number = low[row] | middle[row] << 8 | high[row] << 16
        return number - (1 << 24) if column and number >= 1 << 23 else number

    def find(self, zip_number: int) -> int | None:
        """The row of `zip_number`, by binary search over the zip column."""
        low, high = 0, self.count
        while low < high:
            middle = (low + high) // 2
            if self.value(0, middle) < zip_number:
                low = middle + 1
            else:
                high = middle
        return low if low < self.count and self.value(0, low) == zip_number else None


_index: _Index | None = None


def normalize(zip_code: str) -> str | None:
    """The five-digit ZIP of `12345` or `12345-6789`, or None if it is not shaped like one."""
    text = zip_code.strip()
    five, dash, four = text[:5], text[5:6], text[6:]
    if len(five) != 5 or not _digits(five):
        return None
    if text[5:] and not (dash == "-" and len(four) == 4 and _digits(four)):
        return None
    return five


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def lookup(zip_code: str) -> Point | None:
    """The centroid of a US ZIP code, or None when the data set does not know it."""
    five = normalize(zip_code)
    if five is None:
        return None
    index = _load()
    row = index.find(int(five))
    if row is None:
        return None
    return Point(index.value(1, row) / SCALE, index.value(2, row) / SCALE)


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine) in kilometres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# --- the index format: encode (build time) and decode (first lookup) ---------------------------


def encode(entries: list[tuple[int, int, int]]) -> bytes:
    """The index file for (zip, lat 1e-4 deg, lon 1e-4 deg) rows (any order, zips unique)."""
    rows = sorted(entries)
    planes = []
    for column in range(COLUMNS):
        values = [row[column] & 0xFFFFFF for row in rows]  # 24-bit two's complement
        for byte in range(WIDTH):
            planes.append(bytes((v >> (8 * byte)) & 0xFF for v in values))
    return MAGIC + struct.pack("<I", len(rows)) + b"".join(planes)


def decode(data: bytes) -> list[tuple[int, int, int]]:
    """Every row of an index file (for checks; lookups read the bytes in place)."""
    index = _Index(data)
    return [(index.value(0, r), index.value(1, r), index.value(2, r)) for r in range(index.count)]


def _load() -> _Index:
    global _index
    if _index is None:
        with open(INDEX_PATH, "rb") as file:
            _index = _Index(file.read())
    return _index
