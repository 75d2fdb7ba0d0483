"""Per-source budgets (issue 9, items 3 and 6): pure, with a clock passed in."""

from __future__ import annotations

from dataclasses import dataclass

from hallway.engine.admission import (
    CONNECT_BURST,
    PENDING_PER_ADDRESS,
    Admission,
    Budgets,
)


def test_one_source_spending_its_budget_leaves_others_theirs() -> None:
    budgets = Budgets(rate=1.0, burst=5.0)
    assert sum(budgets.take("198.18.0.66", 0.0) for _ in range(1000)) == 5
    assert budgets.take("198.18.0.2", 0.0)  # a newcomer elsewhere is untouched
    assert not budgets.take("198.18.0.66", 0.5)
    assert budgets.take("198.18.0.66", 1.0)  # and the flooder refills at the rate only


def test_the_table_is_bounded_and_forgets_refilled_sources() -> None:
    budgets = Budgets(rate=1.0, burst=2.0, limit=100)
    for i in range(10_000):
        budgets.take(f"10.0.{i // 256}.{i % 256}", 0.0)
    assert len(budgets) <= 100
    for i in range(50):  # later, every old bucket is full again: each insertion prunes two
        budgets.take(f"10.9.0.{i}", 10.0)
    assert len(budgets) == 50  # the hundred refilled ones are gone, two per insertion


@dataclass
class _Link:
    address: str
    welcomed: bool = False


def test_links_to_one_address_are_capped_while_unanswered() -> None:
    admission = Admission()
    links = [_Link("198.18.0.66") for _ in range(PENDING_PER_ADDRESS)]
    assert not admission.may_connect("198.18.0.66", links, 0.0)
    assert admission.may_connect("198.18.0.3", links, 0.0)
    for link in links:
        link.welcomed = True  # answered: real members at one address (a demo, a shared host)
    assert admission.may_connect("198.18.0.66", links, 0.0)


def test_links_opened_to_one_address_are_rate_limited() -> None:
    admission = Admission()
    opened = sum(admission.may_connect("198.18.0.66", [], 0.0) for _ in range(1000))
    assert opened == CONNECT_BURST
    assert not admission.may_connect("198.18.0.66", [], 1.0)
    assert admission.may_connect("198.18.0.66", [], 2.0)
