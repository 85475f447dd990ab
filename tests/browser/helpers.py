"""Steps several browser tests share."""

from __future__ import annotations


def fill_request(
    page,
    description: str,
    *,
    name: str = "Maria Garcia",
    email: str = "maria.garcia@gmail.com",
    phone: str = "713 555 0142",
    urgency: str = "emergency",
    service: str = "Grease trap pumping",
):
    """Fill the customer's request form (any mode) and send it."""
    page.get_by_label("Service needed").select_option(label=service)
    page.get_by_label("What do you need done?").fill(description)
    page.get_by_label("How soon?").select_option(urgency)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("City").fill("Houston")
    page.get_by_label("ZIP code").fill("77002")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Phone").fill(phone)
    page.get_by_role("button", name="Send request").click()
