"""Admin lead search (issue 10): exact e-mail and phone lookups, names by substring, ids, and
digits that only match phones when the query looks like a phone number."""

from __future__ import annotations

import pytest

from app.leads import search


@pytest.fixture
def people(db, factory):
    metro = factory.metro("Houston")
    made = {
        "maria": factory.lead(
            metro=metro,
            customer_name="Maria Garcia",
            customer_email="Maria.Garcia@Gmail.com",
            customer_phone="+17135551234",
            city="Houston",
        ),
        "joe": factory.lead(
            metro=metro,
            customer_name="Joe Smith",
            customer_email="joe@diner.example",
            customer_phone="+12815550199",
            business_name="Joe's Diner 100% Grill",
            city="Katy",
        ),
        "ann": factory.lead(
            metro=metro,
            customer_name="Ann Lee",
            customer_email="ann@example.com",
            customer_phone="+17135550000",
            city="Pasadena",
        ),
    }
    db.session.commit()
    return made


def names(admin, q: str) -> list[str]:
    html = admin.get("/admin/leads", query_string={"q": q}).get_data(as_text=True)
    return [n for n in ("Maria Garcia", "Joe Smith", "Ann Lee") if n in html]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("maria.garcia@gmail.com", ["Maria Garcia"]),  # case-insensitive, exact
        ("  MARIA.GARCIA@GMAIL.COM ", ["Maria Garcia"]),
        ("garcia@gmail.com", []),  # an address is exact, not a substring
        ("(713) 555-1234", ["Maria Garcia"]),
        ("713.555.1234", ["Maria Garcia"]),
        ("+1 713 555 1234", ["Maria Garcia"]),
        ("7135551234", ["Maria Garcia"]),
        ("gar", ["Maria Garcia"]),
        ("DINER", ["Joe Smith"]),  # business name and e-mail, any case
        ("pasadena", ["Ann Lee"]),
        ("100%", ["Joe Smith"]),  # % is a character, not a wildcard
        ("%", []),  # too short; never "everything"
        ("zzz", []),
    ],
)
def test_search_finds_what_the_query_names(as_admin, people, q, found):
    assert names(as_admin, q) == found, f"q={q!r}"


def test_digits_match_phones_only_when_the_query_looks_like_a_phone(as_admin, people):
    # "555" is in every phone number: it is an id lookup, not a phone substring
    assert names(as_admin, "555") == []
    lead_id = people["joe"].id
    assert names(as_admin, f"#{lead_id}") == ["Joe Smith"]
    assert names(as_admin, str(lead_id)) == ["Joe Smith"]


def test_a_short_query_says_how_to_search(as_admin, people):
    html = as_admin.get("/admin/leads?q=ab").get_data(as_text=True)
    assert "Type at least 3 characters" in html and "No leads match." in html


def test_the_page_says_what_an_exact_lookup_looked_for(as_admin, people):
    html = as_admin.get("/admin/leads", query_string={"q": "(713) 555-1234"}).get_data(as_text=True)
    assert "Leads with the phone number (713) 555-1234" in html


@pytest.mark.parametrize(
    ("q", "kind", "value"),
    [
        ("a@b.co", "email", "a@b.co"),
        ("#42", "id", "42"),
        ("42", "id", "42"),
        ("713-555-0142", "phone", "+17135550142"),
        ("12345678901234567890", "id", "12345678901234567890"),  # too many digits for a phone
        ("O'Brien", "text", "O'Brien"),
        ("", "all", ""),
    ],
)
def test_parse(q, kind, value):
    parsed = search.parse(q)
    assert (parsed.kind, parsed.value) == (kind, value), parsed


def test_a_huge_id_finds_nothing_instead_of_failing(as_admin, people):
    assert as_admin.get("/admin/leads?q=%2399999999999999999999").status_code == 200


def test_provider_search_is_a_substring_of_the_name_with_wildcards_escaped(as_admin, db, factory):
    factory.provider(name="Acme 50% Pumping")
    factory.provider(name="Best Grease")
    db.session.commit()
    html = as_admin.get("/admin/providers?q=50%25").get_data(as_text=True)
    assert "Acme 50% Pumping" in html and "Best Grease" not in html
    html = as_admin.get("/admin/providers?q=grease").get_data(as_text=True)
    assert "Best Grease" in html and "Acme" not in html


def test_providers_filter_by_metro_name_or_slug(as_admin, db, factory):
    houston, dallas = factory.metro("Houston", slug="houston-tx"), factory.metro("Dallas", slug="dallas-tx")
    factory.provider(metro=houston, name="Bayou Grease")
    factory.provider(metro=dallas, name="Trinity Grease")
    db.session.commit()
    for metro in ("houston", "Houston", "houston-tx"):
        html = as_admin.get("/admin/providers", query_string={"metro": metro}).get_data(as_text=True)
        assert "Bayou Grease" in html and "Trinity Grease" not in html, metro
    html = as_admin.get("/admin/providers?metro=nowhere").get_data(as_text=True)
    assert "No providers match." in html
