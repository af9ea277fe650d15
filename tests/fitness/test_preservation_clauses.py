"""Preservation rules stay inside one clause: 'skip pleasantries, and repeat your request' is allowed."""

from evopersona.fitness.preservation import check_policy_rules
from evopersona.tasks import load_domain, pick_task


def test_dropping_a_goal_is_caught_but_not_across_a_clause_boundary():
    task = pick_task(load_domain("retail"), "0")
    assert check_policy_rules("Complain about the hassle, skip pleasantries, and repeat your request if the agent is slow.", task).passed
    assert not check_policy_rules("Skip the exchange request entirely.", task).passed
    assert not check_policy_rules("Forget your zip code when asked.", task).passed
