"""Admin "Try a plan" (issue 13): the current plan and a candidate on the same simulated day, side
by side with charts, and a form that saves the candidate; bad input names the field."""

import pytest

from tests.conftest import csrf_from


@pytest.fixture
def houston(db, factory):
    metro = factory.metro("Houston", slug="houston")
    category = factory.category()
    for tier in ("pro", "pro", "growth", "starter", "free"):
        factory.provider(metro=metro, categories=[category], tier=tier)
    db.session.commit()
    return metro


def form(token, **overrides):
    data = {
        "csrf_token": token,
        "wave-1-tiers": ["pro", "growth"],
        "wave-1-size": "1",
        "wave-1-minutes": "2",
        "source": "curve",
        "leads": "25",
        "seed": "5",
    }
    data.update(overrides)
    return data


def test_try_page_shows_the_current_plan_as_the_starting_candidate(as_admin, houston):
    page = as_admin.get(f"/admin/metros/{houston.id}/try")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Try a plan: Houston" in html
    assert "pro+growth ×3 / 5 min" in html  # the current plan, in words
    assert 'name="wave-1-size" value="3"' in html
    assert f"/admin/metros/{houston.id}/try" in as_admin.get("/admin/metros").get_data(as_text=True)


def test_running_a_candidate_shows_both_side_by_side_and_saves_nothing(as_admin, db, houston):
    token = csrf_from(as_admin.get(f"/admin/metros/{houston.id}/try").get_data(as_text=True))
    answer = as_admin.post(f"/admin/metros/{houston.id}/try", data=form(token))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200, html[:2000]
    assert "The same day, two plans" in html and "25 leads" in html
    assert "pro+growth ×3 / 5 min" in html and "pro+growth ×1 / 2 min" in html
    assert 'id="chart-try-fill"' in html and 'id="chart-try-accept"' in html and 'id="chart-try-gini"' in html
    assert "Filled within 20 min" in html and "Time to accept, median" in html
    assert "Not filled by the end of the day, why" in html and "Gini; fairest possible" in html
    db.session.refresh(houston)
    assert houston.wave_plan[0]["size"] == 3, "trying a plan must not change the metro"
    # the save form carries the candidate to the metro editor
    assert 'name="wave-1-size" value="1"' in html and "Save the candidate as Houston" in html
    saved = as_admin.post(
        f"/admin/metros/{houston.id}",
        data={
            "csrf_token": csrf_from(html),
            "pool_policy": houston.pool_policy,
            "consent_wait_hours": str(houston.consent_wait_hours),
            "wave-1-tiers": ["pro", "growth"],
            "wave-1-size": "1",
            "wave-1-minutes": "2",
        },
    )
    assert saved.status_code == 303
    db.session.refresh(houston)
    assert houston.wave_plan == [{"tiers": ["pro", "growth"], "size": 1, "minutes": 2}]


def test_bad_trial_input_names_the_field_and_runs_nothing(as_admin, houston):
    token = csrf_from(as_admin.get(f"/admin/metros/{houston.id}/try").get_data(as_text=True))
    answer = as_admin.post(
        f"/admin/metros/{houston.id}/try", data=form(token, seed="abc", leads="999999", **{"wave-1-size": "0"})
    )
    html = answer.get_data(as_text=True).replace("&#39;", "'")
    assert answer.status_code == 422
    assert "Seed: a whole number" in html and "Leads in the day: a whole number" in html
    assert "The same day, two plans" not in html
    replay = as_admin.post(f"/admin/metros/{houston.id}/try", data=form(token, source="replay", replay_days="99"))
    assert replay.status_code == 422 and "Days to replay" in replay.get_data(as_text=True)


def test_try_plan_is_for_admins_only(as_provider, anon, houston):
    assert anon.get(f"/admin/metros/{houston.id}/try").status_code in (302, 303, 401, 403)
    assert as_provider().get(f"/admin/metros/{houston.id}/try").status_code in (302, 303, 403, 404)
