from .conftest import top


def test_should_autocomplete_a_word_cut_in_the_middle(paris):
    assert top(paris, "gare centr", autocomplete=True) == "Gare Centrale"
    assert top(paris, "14 rue de riv", autocomplete=True) == "14 Rue de Rivoli 75004 Paris"


def test_should_autocomplete_an_abbreviation_prefix(paris):
    assert top(paris, "3 bd saint germ", autocomplete=True) == "3 Boulevard Saint-Germain 75005 Paris"
    assert top(paris, "12 avenue de la rep", autocomplete=True).startswith("12 Avenue de la République")


def test_should_not_prefix_match_without_autocomplete_when_a_word_exists(paris):
    res = paris.search("rue de rivoli", limit=5)
    assert res and all("Rivoli" in p.label for p in res[:2])
