"""The run page says which lowest chance is exact and which is after the lottery, how many
tickets were chosen and why, and what rounding took as a share of people's chances (issue 8,
items 9 and 13); the officer can still choose the number of tickets."""

from __future__ import annotations

import html
from collections.abc import Callable

from sqlmodel import select
from starlette.testclient import TestClient

from assembly.selection.models import SelectionRun
from tests.app.flows import loaded, start, wait_for


def _report(dbs: Callable, assembly_id: int) -> dict:
    with dbs() as session:
        run = session.exec(select(SelectionRun).where(
            SelectionRun.assembly_id == assembly_id)).one()
        return dict(run.report)


def test_an_empty_ticket_count_is_chosen_and_the_page_says_which_chance_is_exact(
        officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = loaded(officer_client)
    url = start(officer_client, assembly_id, lottery_size="")
    wait_for(officer_client, url)
    report = _report(dbs, assembly_id)
    assert report["lottery_size_chosen"] and report["lottery_keeps_lowest"]
    assert report["lottery_size"] in (1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)
    assert report["minimum"] >= 0.95 * report["distribution_minimum"] - 1e-12
    text = html.unescape(officer_client.get(url).text)
    size = f"{report['lottery_size']:,}"
    assert (f"<dt>Lowest chance, exact</dt><dd>{report['distribution_minimum'] * 100:.2f}%</dd>"
            in text)
    assert (f"<dt>Lowest chance in the lottery (after rounding to {size} tickets)</dt>"
            f"<dd>{report['minimum'] * 100:.2f}%</dd>") in text
    assert (f"took {report['lottery_lowest_loss_share'] * 100:.1f}% of the lowest chance, and "
            f"at most {report['lottery_largest_loss_share'] * 100:.1f}% of anyone's own chance"
            in text)
    assert f"{size} tickets is the fewest that keeps the lowest chance within 5%" in text


def test_the_officer_can_choose_the_number_of_tickets(
        officer_client: TestClient, dbs: Callable) -> None:
    assembly_id = loaded(officer_client)
    url = start(officer_client, assembly_id, lottery_size="300")
    wait_for(officer_client, url)
    report = _report(dbs, assembly_id)
    assert report["lottery_size"] == 300 and not report["lottery_size_chosen"]
    text = html.unescape(officer_client.get(url).text)
    assert "after rounding to 300 tickets" in text
    assert "is the fewest that keeps" not in text
