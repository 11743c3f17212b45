from certificates import codes


def test_codes_have_80_random_bits_in_crockford_base32():
    made = {codes.new_code() for _ in range(2000)}
    assert len(made) == 2000
    for code in made:
        assert len(code) == 16
        assert set(code) <= set(codes.ALPHABET)
        assert not set(code) & set("ILOU")


def test_display_groups_by_four():
    assert codes.display("7K3MQ9XD2HPAW4TB") == "7K3M-Q9XD-2HPA-W4TB"


def test_typed_codes_are_forgiving():
    for typed in [
        "7K3M-Q9XD-2HPA-W4TB",
        "7k3m-q9xd-2hpa-w4tb",
        "7K3MQ9XD2HPAW4TB",
        " 7K3M Q9XD 2HPA W4TB ",
    ]:
        assert codes.normalize(typed) == "7K3MQ9XD2HPAW4TB"
    assert codes.normalize("1O0I-ABCD-EFGH-JKMN") == "1001ABCDEFGHJKMN"
    assert codes.normalize("L000-ABCD-EFGH-JKMN") == "1000ABCDEFGHJKMN"


def test_malformed_codes_are_rejected():
    for typed in ["", "short", "7K3M-Q9XD-2HPA-W4T", "7K3M-Q9XD-2HPA-W4TBX", "UUUU-UUUU-UUUU-UUUU",
                  "7K3M-Q9XD-2HPA-W4T!"]:  # fmt: skip
        assert codes.normalize(typed) is None
