from .conftest import top


def test_should_match_abbreviations(paris):
    assert top(paris, "3 bd st germain") == "3 Boulevard Saint-Germain 75005 Paris"
    assert top(paris, "12 av de la republique paris") == "12 Avenue de la République 75011 Paris"
    assert top(paris, "7 pl de l'eglise") == "7 Place de l'Église 75015 Paris"
