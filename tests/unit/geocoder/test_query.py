"""Query layout: house numbers anywhere, suffix merging, autocomplete prefix entries."""
from engine.geocoder.query import parse_query

SUFFIXES = {"": 0, "b": 1, "bis": 2, "s1": 3, "ter": 4}


def test_number_and_suffix_become_one_group():
    p = parse_query("12 bis rue x", SUFFIXES, False)
    assert p.number.tolist()[0] == 12 and p.suffix.tolist()[0] == 2
    assert len(p.weight) == 3


def test_bs_suffix_after_number_but_not_an_abbreviation():
    assert parse_query("1 s1 av x", SUFFIXES, False).suffix.tolist()[0] == 3
    p = parse_query("12 bd x", {**SUFFIXES, "bd": 5}, False)
    assert p.suffix.tolist()[0] == 0                  # "bd" is boulevard here


def test_autocomplete_last_word_is_prefix_with_its_expansion():
    p = parse_query("12 av", SUFFIXES, True)
    assert p.prefix.tolist() == [0, 1, 0]
    assert p.group.tolist() == [0, 1, 1]


def test_stopwords_and_street_types_weigh_less():
    p = parse_query("rue de la paix", SUFFIXES, False)
    assert p.weight.tolist() == [0.5, 0.3, 0.3, 1.0]       # the name decides, not the street type


def test_empty_query():
    assert parse_query("  ,;  ", SUFFIXES, False).empty
