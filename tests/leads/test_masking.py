"""Masking (SPEC "Masking"): what a provider that has not got the lead may see."""

import pytest

from app.leads import masking
from app.leads.masking import mask_email, mask_name, mask_phone, mask_text


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("Maria Garcia", "Maria G."),
        ("  maria   garcia  ", "maria G."),
        ("Maria", "Maria"),
        ("", "Customer"),
        (None, "Customer"),
        ("Mary Ann van der Berg", "Mary B."),
        ("José Ñúñez", "José Ñ."),
        ("Zoë 'Ö'Brien", "Zoë Ö."),
        ("李 小龙", "李 小."),
        ("maria.garcia@gmail.com", "m***@gmail.com"),
        ("Call 7135551234", "Call *."),  # a number typed as a name never shows
    ],
)
def test_names_show_first_name_and_last_initial(raw, shown):
    assert mask_name(raw) == shown


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("maria.garcia@gmail.com", "m***@gmail.com"),
        ("M@x.io", "M***@x***.io"),
        ("mario@lucianostrattoria.com", "m***@l***.com"),  # a business domain names the business
        ("ana@mail.luciano.co.uk", "a***@m***.uk"),
        ("ana@gmail.luciano.com", "a***@g***.com"),
        ("ana@yahoo.com", "a***@yahoo.com"),
        ("ana@hotmail.co.uk", "a***@hotmail.co.uk"),
        ("ana@outlook.com", "a***@outlook.com"),
        ("ana@icloud.com", "a***@icloud.com"),
        ("ana@aol.com", "a***@aol.com"),
        ("  maria@gmail.com ", "m***@gmail.com"),
        ("josé@correo.es", "j***@c***.es"),
        ("not-an-email", "***"),
        ("", None),
        (None, None),
    ],
)
def test_emails_keep_first_letter_and_only_a_webmail_domain(raw, shown):
    assert mask_email(raw) == shown


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("+17135551234", "(***) ***-1234"),
        ("(713) 555-1234", "(***) ***-1234"),
        ("+44 20 7946 0958", "(***) ***-0958"),
        ("12", "(***) ***-****"),
        ("", None),
        (None, None),
    ],
)
def test_phones_show_last_four_digits(raw, shown):
    assert mask_phone(raw) == shown


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("Call me at 713-555-1234 today", "Call me at (***) ***-1234 today"),
        ("Call (713) 555 1234.", "Call (***) ***-1234."),
        ("UK office +44 20 7946 0958", "UK office (***) ***-0958"),
        ("spaced 7 1 3 5 5 5 1 2 3 4 out", "spaced (***) ***-1234 out"),
        ("local 555-1234 only", "local (***) ***-1234 only"),
        ("Email maria.garcia+trap@gmail.co.uk now", "Email m***@gmail.co.uk now"),
        ("maria [at] gmail [dot] com", "[email hidden]"),
        ("maria(at)gmail.com", "[email hidden]"),
        ("write maria at gmail dot com", "write [email hidden]"),
        ("See https://tacos.example/menu?x=1 or www.tacos.biz", "See [link hidden] or [link hidden]"),
        ("our site tacomaria.com/contact", "our site [link hidden]"),
        ("Ünïcödé café, 電話 +81 3-1234-5678", "Ünïcödé café, 電話 (***) ***-5678"),
        # Not contact data: left alone.
        ("Last pumped 2024-03-01 at 10:30", "Last pumped 2024-03-01 at 10:30"),
        ("Due 03/01/2024, 1,000 gal trap", "Due 03/01/2024, 1,000 gal trap"),
        ("Budget 1500-2000 dollars", "Budget 1500-2000 dollars"),
        ("We are at the corner. Thanks", "We are at the corner. Thanks"),
        ("", ""),
        (None, ""),
    ],
)
def test_contact_data_inside_text_is_masked(raw, shown):
    assert mask_text(raw) == shown


# Issue 16: a phone number spelled out in words (English, Spanish, mixed with digits, "oh",
# "double") is masked like digits are: the whole run becomes "(***) ***-<last four>".
SPELLED = [
    ("Owner cell: seven one three four two two nine zero three three", "Owner cell: (***) ***-9033"),
    ("Owner cell: Seven One Three Four Two Two Nine Zero Three Three.", "Owner cell: (***) ***-9033."),
    ("call 7 one 3 four 2 2 nine 0 3 3 now", "call (***) ***-9033 now"),
    ("call 713 four two two nine zero three three", "call (***) ***-9033"),
    ("llame al siete uno tres cuatro dos dos nueve cero tres tres", "llame al (***) ***-9033"),
    ("seven-one-three, four-two-two, nine-oh-three-three", "(***) ***-9033"),
    ("seven one three double two nine oh triple three", "(***) ***-0333"),
    ("s e v e n: seven  one  three  four  two  two  nine", "s e v e n: (***) ***-4229"),
    ("(seven one three) four two two - nine zero three three", "((***) ***-9033"),
    # Not phone numbers: left alone.
    ("one or two traps, three days a week", "one or two traps, three days a week"),
    ("one 1000 gallon trap and two 500 gallon ones", "one 1000 gallon trap and two 500 gallon ones"),
    ("Last pumped 2024-03-01, two traps", "Last pumped 2024-03-01, two traps"),
    ("someone said six", "someone said six"),
]


@pytest.mark.parametrize("raw, shown", SPELLED)
def test_phone_numbers_spelled_in_words_are_masked(raw, shown):
    assert mask_text(raw) == shown


def test_preview_hides_street_business_and_raw_contact(factory):
    lead = factory.lead(
        description="Trap overflow, call 713-555-1234 or maria@gmail.com",
        business_name="Taqueria Maria",
        postal_code="77002",
        preferred_time="after 5, 713 555 9876",
    )
    shown = masking.preview(lead)
    assert shown["masked"] is True
    assert shown["customer_name"] == "Maria G."
    assert shown["customer_email"] == "m***@gmail.com"
    assert shown["customer_phone"] == "(***) ***-1234"
    assert shown["street"] is None and shown["business_name"] is None
    assert shown["postal_code"] == "77002", "the ZIP is an area like the city: shown in previews (issue 11)"
    assert shown["city"] == "Houston"
    assert shown["description"] == "Trap overflow, call (***) ***-1234 or m***@gmail.com"
    assert shown["preferred_time"] == "after 5, (***) ***-9876"
    flat = repr(shown)
    for secret in ("maria.garcia@gmail.com", "+17135551234", "12 Main St", "Taqueria", "555-1234", "Garcia"):
        assert secret not in flat


def test_for_viewer_gives_full_only_when_entitled(factory):
    lead = factory.lead()
    assert masking.for_viewer(lead, entitled=True)["customer_email"] == "maria.garcia@gmail.com"
    assert masking.for_viewer(lead, entitled=True)["street"] == "12 Main St"
    assert masking.for_viewer(lead, entitled=False)["customer_email"] == "m***@gmail.com"


@pytest.mark.parametrize(
    "text, hidden",
    [
        ("write to maria dot garcia at gmail dot com please", "garcia"),
        ("maria＠gmail.com", "maria"),
        ("maria@gmail .com", "maria"),
        ("call ７１３ ５５５ ０１４２", "555"),
    ],
)
def test_disguised_contact_in_text_is_hidden(text, hidden):
    assert hidden not in masking.mask_text(text)


@pytest.mark.parametrize(
    "name, shown",
    [
        ("Maria Garcia Jr.", "Maria G."),
        ("Dr. Maria Garcia", "Maria G."),
        ("Mrs. Ana de la Cruz III", "Ana C."),
    ],
)
def test_titles_and_suffixes_do_not_become_the_name(name, shown):
    assert masking.mask_name(name) == shown
