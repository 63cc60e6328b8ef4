"""Allocation (issue 9 §2): examples, then properties over random warehouses and stock (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.inventory.geo import Point, distance_km
from chalicelib.shop.allocation import Plan, Refusal, Shortage, Site, allocate, rank

NEW_YORK, CHICAGO, LOS_ANGELES = Point(40.75, -73.99), Point(41.87, -87.65), Point(34.03, -118.24)
NEWARK, SAN_DIEGO = Point(40.73, -74.17), Point(32.72, -117.16)
SITES = [Site("nyc", NEW_YORK), Site("chi", CHICAGO), Site("la", LOS_ANGELES)]


def test_nearest_warehouse_that_fills_the_whole_order() -> None:
    stock = {("a", "nyc"): 5, ("a", "la"): 5, ("b", "nyc"): 1, ("b", "la"): 5}
    assert allocate([("a", 2), ("b", 1)], SITES, stock, NEWARK) == Plan({"a": "nyc", "b": "nyc"}, split=False)
    assert allocate([("a", 2), ("b", 2)], SITES, stock, NEWARK) == Plan({"a": "la", "b": "la"}, split=False)
    assert allocate([("a", 2)], SITES, stock, SAN_DIEGO) == Plan({"a": "la"}, split=False)


def test_split_by_line_each_from_its_nearest() -> None:
    stock = {("a", "nyc"): 5, ("b", "chi"): 5, ("b", "la"): 5}
    assert allocate([("a", 1), ("b", 1)], SITES, stock, NEWARK) == Plan({"a": "nyc", "b": "chi"}, split=True)


def test_refusal_names_short_lines_with_total_available() -> None:
    stock = {("a", "nyc"): 2, ("a", "la"): 2, ("b", "nyc"): 9}
    outcome = allocate([("a", 3), ("b", 1), ("c", 1)], SITES, stock, NEWARK)
    assert outcome == Refusal((Shortage("a", 3, 4), Shortage("c", 1, 0)))


def test_inactive_sites_never_serve_and_do_not_count() -> None:
    sites = [Site("near", NEWARK, active=False), Site("la", LOS_ANGELES)]
    assert allocate([("a", 1)], sites, {("a", "near"): 9, ("a", "la"): 1}, NEWARK) == Plan({"a": "la"}, split=False)
    assert allocate([("a", 2)], sites, {("a", "near"): 9, ("a", "la"): 1}, NEWARK) == Refusal((Shortage("a", 2, 1),))


def test_without_origin_or_coordinates_rank_by_id() -> None:
    sites = [Site("b", None), Site("a", None), Site("c", NEW_YORK)]
    assert [s.warehouse_id for s in rank(sites, None)] == ["a", "b", "c"]
    assert [s.warehouse_id for s in rank(sites, NEWARK)] == ["c", "a", "b"]  # no coordinates: last


# --- properties ---------------------------------------------------------------------------------

points = st.builds(Point, st.floats(-60, 70), st.floats(-179, 179))
site_lists = st.lists(
    st.builds(Site, st.sampled_from(["w1", "w2", "w3", "w4", "w5"]), st.one_of(st.none(), points), st.booleans()),
    max_size=5,
    unique_by=lambda s: s.warehouse_id,
)
products = ["p1", "p2", "p3", "p4"]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[tuple[str, int]], list[Site], dict[tuple[str, str], int], Point | None]:
    sites = draw(site_lists)
    lines = draw(
        st.lists(
            st.tuples(st.sampled_from(products), st.integers(1, 6)), min_size=1, max_size=4, unique_by=lambda x: x[0]
        )
    )
    stock = {(p, s.warehouse_id): draw(st.integers(0, 8)) for p in products for s in sites}
    origin = draw(st.one_of(st.none(), points))
    return lines, sites, stock, origin


def distance(site: Site, origin: Point | None) -> tuple[int, float, str]:
    if origin is None or site.point is None:
        return (1 if origin is not None else 0, 0.0, site.warehouse_id)
    return (0, distance_km(origin, site.point), site.warehouse_id)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_allocation_properties(
    scenario: tuple[list[tuple[str, int]], list[Site], dict[tuple[str, str], int], Point | None],
) -> None:
    lines, sites, stock, origin = scenario
    active = [s for s in sites if s.active]

    def fills(site: Site, product: str, quantity: int) -> bool:
        return stock.get((product, site.warehouse_id), 0) >= quantity

    outcome = allocate(lines, sites, stock, origin)
    # Deterministic whatever the order of the warehouses; the order of lines only orders shortages.
    assert allocate(lines, list(reversed(sites)), stock, origin) == outcome
    shuffled = allocate(list(reversed(lines)), sites, stock, origin)
    if isinstance(outcome, Refusal):
        assert isinstance(shuffled, Refusal) and set(shuffled.shortages) == set(outcome.shortages)
    else:
        assert shuffled == outcome
    whole = [s for s in active if all(fills(s, p, q) for p, q in lines)]
    if whole:
        # 1. One warehouse fills everything: the nearest such one serves every line.
        best = min(whole, key=lambda s: distance(s, origin))
        assert outcome == Plan({p: best.warehouse_id for p, _ in lines}, split=False)
        return
    per_line = {p: [s for s in active if fills(s, p, q)] for p, q in lines}
    if all(per_line.values()):
        # 2. Split: every line from the nearest warehouse that can fill it, all active and stocked.
        assert isinstance(outcome, Plan)
        for product, quantity in lines:
            chosen = outcome.warehouse_for[product]
            site = next(s for s in active if s.warehouse_id == chosen)
            assert fills(site, product, quantity)
            assert site == min(per_line[product], key=lambda s: distance(s, origin))
        assert outcome.split == (len(set(outcome.warehouse_for.values())) > 1)
        return
    # 3. Refused: exactly the lines nobody can fill, each with the total available.
    assert isinstance(outcome, Refusal)
    assert [s.product_id for s in outcome.shortages] == [p for p, _ in lines if not per_line[p]]
    for shortage in outcome.shortages:
        assert shortage.available == sum(stock.get((shortage.product_id, s.warehouse_id), 0) for s in active)
        assert shortage.requested == dict(lines)[shortage.product_id]


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_a_plan_never_takes_more_than_a_warehouse_has(
    scenario: tuple[list[tuple[str, int]], list[Site], dict[tuple[str, str], int], Point | None],
) -> None:
    lines, sites, stock, origin = scenario
    outcome = allocate(lines, sites, stock, origin)
    if isinstance(outcome, Plan):
        active_ids = {s.warehouse_id for s in sites if s.active}
        for product, quantity in lines:
            warehouse = outcome.warehouse_for[product]
            assert warehouse in active_ids and stock[(product, warehouse)] >= quantity
