"""'How it works' for customers and providers (issue 15): the three modes explained, linked from
the home page and every page's footer."""

from tests.dom import attr_of, select, text_of


def footer_links(html) -> list[str]:
    return [a.attrs["href"] for a in select(html, "footer nav a")]


def test_customers_read_the_three_modes_from_the_home_page(db, anon):
    home = anon.get("/").get_data(as_text=True)
    assert attr_of(home, "#how-link", "href") == "/how-it-works"
    assert footer_links(home) == ["/how-it-works", "/how-it-works/providers"], footer_links(home)
    page = anon.get("/how-it-works")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and text_of(html, "h1") == "How FogForge works for restaurants"
    assert text_of(html, "#mode-direct h3") == "One provider you choose"
    assert text_of(html, "#mode-broadcast h3") == "Anyone nearby, fastest first"
    assert text_of(html, "#mode-quotes h3") == "Up to 3 quotes"


def test_providers_read_the_three_modes_and_that_customers_never_see_their_plan(db, anon):
    html = anon.get("/how-it-works/providers").get_data(as_text=True)
    assert text_of(html, "h1") == "How FogForge works for service providers"
    assert text_of(html, "#provider-direct h3") == "Direct: a customer asked for you"
    assert text_of(html, "#provider-broadcast h3") == "Broadcast: first to accept wins"
    assert text_of(html, "#provider-quotes h3") == "Quotes: up to 3 providers"
    assert "Your plan is never shown to customers." in text_of(html, "main")
    assert footer_links(html) == ["/how-it-works", "/how-it-works/providers"]
