from .conftest import top

REPU_B = "12b Avenue de la République 75011 Paris"


def test_should_match_bis_b_and_glued_forms(paris):
    for q in ("12 bis avenue de la republique", "12b avenue de la republique", "12 B avenue de la république",
              "12bis av de la republique"):
        assert top(paris, q) == REPU_B, q


def test_should_match_ban_suffixes_like_s1(paris):
    res = paris.search("1 s1 avenue de la republique")
    assert res[0].id == "75111_repu_00001_s1" and res[0].housenumber == "1 s1"


def test_should_keep_the_first_number_of_a_range(paris):
    assert top(paris, "12-14 rue de rivoli 75004") == "12 Rue de Rivoli 75004 Paris"


def test_should_find_the_number_after_the_street(paris):
    assert top(paris, "rue de rivoli 14 paris") == "14 Rue de Rivoli 75004 Paris"


def test_should_return_the_street_when_the_number_is_unknown(paris):
    res = paris.search("999 rue de rivoli 75004")
    assert res[0].type == "street" and res[0].postcode == "75004"
