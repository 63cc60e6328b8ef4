"""Zip codes to coordinates, offline, and the great-circle distance between them. Pure: no AWS.

The data is the `zipcodes` PyPI package's (every US ZIP with its centroid), compacted at build time
(`make zip-index`, `tools/zip_index.py`) into `data/zip_centroids.bin`, about 180 KB: the Lambda
never ships or loads the package's full JSON. Layout:

    b"SRZ1" | uint32 count | zlib( planes(zips) | planes(lat) | planes(lon) )

three int32 columns, rows sorted by zip: the zip as an integer, latitude and longitude in 1e-4
degrees (the source's own precision, so the index is lossless). Each column is split into byte
planes (all lowest bytes, ..., all highest bytes), which zlib packs far better than raw integers
and which decode without any per-row Python work. The first lookup decodes the file (a few
milliseconds, `make bench`); later ones are a binary search. This module imports only small parts
of the standard library, so a cold process pays little for it.
"""

from __future__ import annotations

import math
import os
import struct
import sys
from array import array

INDEX_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "zip_centroids.bin")
MAGIC = b"SRZ1"
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
    __slots__ = ("lat", "lon", "zips")

    def __init__(self, zips: array[int], lat: array[int], lon: array[int]) -> None:
        self.zips, self.lat, self.lon = zips, lat, lon


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
    from bisect import bisect_left

    key = int(five)
    at = bisect_left(index.zips, key)
    if at == len(index.zips) or index.zips[at] != key:
        return None
    return Point(index.lat[at] / SCALE, index.lon[at] / SCALE)


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine) in kilometres."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# --- the index format: encode (build time) and decode (first lookup) ---------------------------


def encode(entries: list[tuple[int, int, int]]) -> bytes:
    """The index file for (zip, lat 1e-4 deg, lon 1e-4 deg) rows (any order, zips unique)."""
    import zlib

    rows = sorted(entries)
    body = b"".join(_planes(array("i", [row[c] for row in rows])) for c in range(3))
    return MAGIC + struct.pack("<I", len(rows)) + zlib.compress(body, 9)


def decode(data: bytes) -> tuple[array[int], array[int], array[int]]:
    """The three columns of an index file (zips, latitudes, longitudes)."""
    import zlib

    if data[:4] != MAGIC:
        raise ValueError("not a zip centroid index")
    (count,) = struct.unpack("<I", data[4:8])
    body = zlib.decompress(data[8:])
    columns = []
    for c in range(3):
        interleaved = bytearray(4 * count)
        for plane in range(4):
            start = (4 * c + plane) * count
            interleaved[plane::4] = body[start : start + count]
        column = array("i")
        column.frombytes(bytes(interleaved))
        if sys.byteorder == "big":
            column.byteswap()
        columns.append(column)
    return columns[0], columns[1], columns[2]


def _planes(values: array[int]) -> bytes:
    """Little-endian int32s split into four byte planes (all low bytes, ..., all high bytes)."""
    if sys.byteorder == "big":
        values = array("i", values)
        values.byteswap()
    raw = values.tobytes()
    return b"".join(raw[plane::4] for plane in range(4))


def _load() -> _Index:
    global _index
    if _index is None:
        with open(INDEX_PATH, "rb") as file:
            _index = _Index(*decode(file.read()))
    return _index
