"""Sites made by intake (app/compliance/sites.py): a new site is the row its INSERT wrote, with
no traps to read; two first requests for one address at once make one site and one trap."""

from sqlalchemy import func, select

from app.models import Category, Lead, Metro, Site, Trap
from tests.compliance.conftest import file_request

SITE_COLUMNS = [c.key for c in Site.__table__.columns]


def test_a_new_site_is_the_row_as_written(db, houston):
    metro, cat = houston
    lead = file_request(db, metro, cat, trap_type=None, trap_capacity_gallons=None)
    site = db.session.get(Site, lead.site_id)
    assert site.traps == [] and site.metro is metro
    as_built = {name: getattr(site, name) for name in SITE_COLUMNS}
    db.session.expire_all()
    assert {name: getattr(site, name) for name in SITE_COLUMNS} == as_built
    assert (site.owner_email, site.business_name, site.street) == (
        "maria.garcia@gmail.com",
        "Taqueria Maria",
        "12 Main St",
    )


def test_a_new_site_gets_the_requests_trap(db, houston):
    metro, cat = houston
    lead = file_request(db, metro, cat)
    db.session.expire_all()
    site = db.session.get(Site, lead.site_id)
    assert [(t.id, t.trap_type, t.capacity_gallons) for t in site.traps] == [(lead.trap_id, "interceptor", 1500)]
    again = file_request(db, metro, cat, description="Next quarter's pump-out, please.")
    assert (again.site_id, again.trap_id) == (lead.site_id, lead.trap_id)


def test_two_first_requests_at_once_make_one_site_and_one_trap(db, houston, race):
    metro, cat = houston
    metro_id, cat_id = metro.id, cat.id
    db.session.commit()

    def submit(i):
        metro, cat = db.session.get(Metro, metro_id), db.session.get(Category, cat_id)
        return file_request(db, metro, cat, description=f"First request number {i}").id

    results = race(2, submit)
    assert not results.errors, results
    db.session.expire_all()
    leads = db.session.scalars(select(Lead).order_by(Lead.id)).all()
    assert len(leads) == 2 and leads[0].site_id == leads[1].site_id is not None
    assert leads[0].trap_id == leads[1].trap_id is not None
    assert db.session.scalar(select(func.count(Site.id))) == 1
    assert db.session.scalar(select(func.count(Trap.id))) == 1
