"""The one normaliser: folding, punctuation, abbreviations, house-number forms."""
from engine.geocoder.normalize import (canonical_suffix, fold, normalize_suffix, normalize_tokens,
                                       query_tokens, split_housenumber)


def test_fold_removes_accents_case_and_punctuation():
    assert fold("Place de l'Église, Saint-Étienne") == "place de l eglise saint etienne"
    assert fold("Œuvre ÆSIR Straße Øster") == "oeuvre aesir strasse oster"


def test_same_tokens_at_index_and_query_time():
    assert normalize_tokens("Av. de la République") == normalize_tokens("avenue de la republique")
    assert normalize_tokens("bd St-Germain") == ("boulevard", "saint", "germain")
    assert normalize_tokens("fbg Saint-Antoine") == ("faubourg", "saint", "antoine")
    assert normalize_tokens("imp. des Lilas") == ("impasse", "des", "lilas")


def test_german_street_suffix_is_expanded():
    assert normalize_tokens("Hauptstr.") == ("hauptstrasse",)
    assert normalize_tokens("Hauptstraße") == ("hauptstrasse",)


def test_housenumber_forms():
    assert split_housenumber("12") == (12, "")
    assert split_housenumber("12bis") == (12, "bis")
    assert split_housenumber("1s1") == (1, "s1")
    assert split_housenumber("rivoli") is None
    assert query_tokens("12-14 rue x") == ["12", "rue", "x"]


def test_suffix_forms_meet():
    assert normalize_suffix(" B ") == "b"
    assert canonical_suffix("b") == canonical_suffix("bis") == "bis"
    assert canonical_suffix("t") == "ter"
    assert canonical_suffix("s1") == "s1"
