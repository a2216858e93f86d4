from .conftest import top


def test_should_match_exact_label(paris):
    assert top(paris, "12 Rue de Rivoli 75004 Paris 4e Arrondissement") == "12 Rue de Rivoli 75004 Paris"
    assert top(paris, "12 Rue de Rivoli 75001 Paris 1er Arrondissement") == "12 Rue de Rivoli 75001 Paris"
