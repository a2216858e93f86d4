from .conftest import top


def test_should_match_with_one_typo(paris):
    assert top(paris, "14 rue de rivili") == "14 Rue de Rivoli 75004 Paris"
    assert top(paris, "14 rue de rvioli") == "14 Rue de Rivoli 75004 Paris"     # transposition


def test_should_match_with_two_typos_in_a_long_word(paris):
    assert top(paris, "12 avenue de la repuplicue 75011") == "12 Avenue de la République 75011 Paris"
