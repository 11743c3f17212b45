from accounts.choices import Jurisdiction, jurisdiction_code, jurisdiction_name


def test_free_text_jurisdictions_become_codes_where_they_match():
    assert jurisdiction_code("California") == "CA"
    assert jurisdiction_code("  new   york ") == "NY"
    assert jurisdiction_code("ca") == "CA"
    assert jurisdiction_code("British Columbia") == "BC"
    assert jurisdiction_code("Calif.") == ""
    assert jurisdiction_code("Guam") == ""
    assert jurisdiction_code("") == ""


def test_jurisdictions_are_the_us_states_dc_and_canada():
    assert len(Jurisdiction) == 51 + 13
    assert jurisdiction_name("DC") == "District of Columbia"
    assert jurisdiction_name("YT") == "Yukon"
