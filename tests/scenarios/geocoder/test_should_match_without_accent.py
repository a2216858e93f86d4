from .conftest import top


def test_should_match_without_accent(paris):
    assert top(paris, "7 place de l eglise") == "7 Place de l'Église 75015 Paris"
    assert top(paris, "12 AVENUE DE LA REPUBLIQUE") == "12 Avenue de la République 75011 Paris"
