from app.leads.validation import check_email, check_phone, format_phone, is_disposable


def test_us_phone_is_normalised_to_e164():
    result = check_phone("(713) 555-0142")
    assert result.e164 == "+17135550142" and result.error is None


def test_international_phone_keeps_its_country():
    assert check_phone("+44 20 7946 0958").e164 == "+442079460958"


def test_garbage_phone_gets_a_readable_error():
    assert "area code" in check_phone("call me").error
    assert "digits" in check_phone("12345").error


def test_possible_but_unassigned_number_is_accepted_but_flagged_invalid():
    result = check_phone("(123) 456-7890")  # area codes never start with 1
    assert result.e164 is not None and result.valid is False


def test_empty_phone_is_neither_error_nor_value():
    assert check_phone("  ") == check_phone(None)
    assert check_phone("").e164 is None and check_phone("").error is None


def test_email_normalised_and_errors_explained():
    assert check_email(" Maria@Gmail.com ").normalized == "Maria@gmail.com"
    assert "not valid" in check_email("maria@").error


def test_disposable_domains_and_subdomains():
    assert is_disposable("x@mailinator.com") and is_disposable("x@eu.mailinator.com")
    assert not is_disposable("x@gmail.com") and not is_disposable(None)


def test_format_phone_for_people():
    assert format_phone("+17135550142") == "(713) 555-0142"
    assert format_phone("+442079460958").startswith("+44 20")
