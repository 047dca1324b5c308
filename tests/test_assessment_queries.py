"""Query-count guards on the assessment pages the other guards leave out: the standard's tree and
its quota table, a round's sample page and the inspector's 我的检查. Each costs the same number of
queries however much it shows.

四平市's admin (city_admin) keeps the standard and runs 市督查第 3 期 over 铁西区; 铁西区's 网格员
(tx.staff) is on its team.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.services.rounds import round_draw, round_inspectors_split
from campaigns.services.standard import standard_default

from .rounds_world import ALLEY, MARKET, SmallStandard, make_round, more_points

pytestmark = pytest.mark.django_db


def queries(client, url):
    client.get(url)  # warm: sessions, scope and choices cached
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_standards_tree_and_quotas_cost_the_same_for_86_items_as_for_five(client, tx, city_admin):
    small = SmallStandard().standard
    national = standard_default()
    client.force_login(city_admin)
    for page in ("campaigns:standard", "campaigns:sample-quotas"):
        few = queries(client, reverse(page, args=[small.pk]))
        many = queries(client, reverse(page, args=[national.pk]))
        assert many == few <= 10, page


def test_a_rounds_sample_page_and_my_inspections_cost_the_same_for_more_points(client, tx, city_admin):
    small = SmallStandard()
    small.adopt(tx)
    inspection_round = make_round([tx], city_admin, [tx.staff], standard=small.standard)
    more_points(tx, ALLEY, 1, "胡同")
    counts = []
    for extra in (0, 6):
        more_points(tx, MARKET, extra, f"菜场{extra}-")
        more_points(tx, ALLEY, extra, f"胡同{extra}-")
        small.standard.quotas.update(minimum=3 + extra)
        round_draw(inspection_round=inspection_round, actor=city_admin, seed=f"s{extra}")
        round_inspectors_split(inspection_round=inspection_round, district_ids=[tx.unit.pk])
        client.force_login(city_admin)
        sample = queries(client, reverse("campaigns:round-points", args=[inspection_round.pk]))
        client.force_login(tx.staff)
        mine = queries(client, reverse("campaigns:inspect"))
        counts.append((sample, mine, inspection_round.points.count()))
    (few_sample, few_mine, few_points), (many_sample, many_mine, many_points) = counts
    assert many_points > few_points + 6
    assert (many_sample, many_mine) == (few_sample, few_mine)
    assert few_sample <= 12 and few_mine <= 5
