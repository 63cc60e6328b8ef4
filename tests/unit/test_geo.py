"""The zip-code index: matches its source data exactly, and answers lookups (issue 9 §1)."""

from __future__ import annotations

import pytest

from chalicelib.inventory import geo


def test_committed_index_matches_the_zipcodes_package() -> None:
    """The shipped index is exactly what `make zip-index` builds from the pinned `zipcodes` data.
    Fails after a `zipcodes` upgrade until the index is rebuilt and committed."""
    from tools.zip_index import build, source_rows

    with open(geo.INDEX_PATH, "rb") as file:
        committed = file.read()
    assert committed == build()
    rows = sorted(source_rows())
    assert geo.decode(committed) == rows
    assert len(rows) > 40_000


def test_every_source_zip_is_found_with_its_coordinates() -> None:
    import zipcodes

    for entry in zipcodes.list_all()[::97]:  # a spread sample: the exact match above covers all
        point = geo.lookup(entry["zip_code"])
        assert point == geo.Point(float(entry["lat"]), float(entry["long"])), entry["zip_code"]


def test_index_is_small() -> None:
    """Nine bytes a zip on disk; the deployment zip deflates its byte planes to under half."""
    import zlib

    with open(geo.INDEX_PATH, "rb") as file:
        data = file.read()
    assert len(data) < 400_000
    assert len(zlib.compress(data, 6)) < 200_000


@pytest.mark.parametrize("text, expected", [("10001", "10001"), (" 10001-2345 ", "10001"), ("1000", None)])
def test_normalize(text: str, expected: str | None) -> None:
    assert geo.normalize(text) == expected


@pytest.mark.parametrize(
    "text", ["00000", "99999", "abcde", "\uff11\uff10\uff10\uff10\uff11", "10001-12", "100011", ""]
)
def test_unknown_or_malformed_zips_are_none(text: str) -> None:
    assert geo.lookup(text) is None


def test_known_places() -> None:
    new_york, los_angeles = geo.lookup("10001"), geo.lookup("90021")
    assert new_york is not None and los_angeles is not None
    assert abs(new_york.latitude - 40.75) < 0.05 and abs(new_york.longitude + 74.0) < 0.05
    assert 3900 < geo.distance_km(new_york, los_angeles) < 4000  # about 3,940 km
    assert geo.distance_km(new_york, new_york) == 0


def test_encode_decode_round_trip() -> None:
    rows = [(99950, 553000, -1316000), (501, 408154, -730451), (10001, -900000, 1800000), (10002, 0, -1)]
    assert geo.decode(geo.encode(rows)) == sorted(rows)
    with pytest.raises(ValueError):
        geo.decode(b"nope" + geo.encode(rows)[4:])
    with pytest.raises(ValueError):
        geo.decode(geo.encode(rows)[:-1])
