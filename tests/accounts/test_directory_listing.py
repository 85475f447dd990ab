"""A metro page lists the providers whose home is the metro and those serving it as an extra
metro, once each, and no one else (issue 10: read as one UNION of two indexed lookups)."""

from app.accounts import directory


def test_metro_lists_home_and_extra_metro_providers_once(db, factory):
    houston, dallas, austin = factory.metro("Houston"), factory.metro("Dallas"), factory.metro("Austin")
    factory.provider(metro=houston, name="Home Grease")
    extra = factory.provider(metro=dallas, name="Extra Grease")
    extra.extra_metros = [houston, austin]
    both = factory.provider(metro=houston, name="Both Grease")
    both.extra_metros = [houston]
    factory.provider(metro=austin, name="Elsewhere Grease")
    factory.provider(metro=houston, name="Suspended Grease", status="suspended")
    db.session.flush()
    names = [p.name for p in directory.providers_in_metro(db.session, houston)]
    assert sorted(names) == ["Both Grease", "Extra Grease", "Home Grease"], names
