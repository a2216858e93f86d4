"""How queries are read (issue 18): glued tokens, noise, arrondissements, weights, sound-alikes,
BAN's city/district/context and Lambert-93. No data needed."""
from engine.testing.geocoder import PARIS, geocoder_from_rows
from engine.geocoder.france import context, lambert93, split_city
from engine.geocoder.normalize import fold
from engine.geocoder.phonetic import phonetic_key
from engine.geocoder.query import parse_query
from engine.geocoder.reading import build_context, prepare_words


def _words(q):
    return prepare_words(fold(q).split())


def test_glued_digits_and_letters_are_split_but_not_house_number_forms():
    assert _words("12 rue de rivoli75004") == ["12", "rue", "de", "rivoli", "75004"]
    assert _words("75004paris") == ["75004", "paris"]
    assert _words("12rue x") == ["12", "rue", "x"]
    assert _words("12bis 1s1 17eme 1er") == ["12bis", "1s1", "17eme", "1er"]


def test_noise_words_are_dropped():
    assert _words("Bat B 3e étage appt 12 5 rue X cedex 04") == ["5", "rue", "x"]
    assert _words("chez Dupont 3 rue Y 75001 Paris France") == ["3", "rue", "y", "75001", "paris"]
    assert _words("porte de clichy") == ["porte", "de", "clichy"]          # a name, not a door
    assert _words("74 bp av x") == ["74", "bp", "av", "x"]                 # BAN suffix "bp"
    assert _words("avenue de france") == ["avenue", "de", "france"]


CTX = build_context([("75007", "75107", "Paris"), ("75016", "75116", "Paris"), ("75116", "75116", "Paris"),
                     ("69003", "69383", "Lyon")])


def test_arrondissements_become_a_district_word_never_a_house_number():
    for q in ("paris 7", "paris 7e", "paris 7ème", "7eme arrondissement", "paris VII", "Paris 7e Arrondissement"):
        p = parse_query(q, {"": 0}, False, context=CTX)
        assert p.kind[-1] == "district", q
        assert (p.number < 0).all(), q
        spellings = {bytes(p.data[p.offsets[i]:p.offsets[i + 1]]).decode() for i in range(len(p.group))
                     if p.group[i] == len(p.kind) - 1}
        assert spellings == {"7e", "75007"}, q
    p = parse_query("rue x paris 16", {"": 0}, False, context=CTX)
    assert p.kind[-1] == "district"
    assert parse_query("12 rue de paris", {"": 0}, False, context=CTX).number[0] == 12
    assert parse_query("rue francois ier", {"": 0}, False, context=CTX).kind == ("type", "word", "word")


def test_street_type_and_venue_words_weigh_less_than_the_name():
    p = parse_query("hotel machin 62 rue de rivoli", {"": 0}, False, context=CTX)
    assert p.kind == ("venue", "venue", "number", "type", "word", "word")
    assert p.weight.tolist() == [0.25, 0.25, 1.0, 0.5, 0.3, 1.0]
    assert parse_query("rue de rivoli", {"": 0}, False, type_weight=1.0).weight[0] == 1.0


def test_phonetic_key_merges_french_spellings():
    for a, b in [("poniatowski", "poniatoski"), ("poniatowski", "poniatowsky"), ("philippe", "filipe"),
                 ("bastille", "bastile"), ("elysees", "elysee"), ("denfert", "danfert"),
                 ("villiers", "vilier"), ("haussmann", "osman"), ("clichy", "clichi"), ("vineuse", "vineuz")]:
        assert phonetic_key(a) == phonetic_key(b), (a, b)
    assert phonetic_key("rivoli") != phonetic_key("rochechouart")


def test_ban_city_district_context_and_lambert93():
    assert split_city("75107", "Paris 7e Arrondissement") == ("Paris", "Paris 7e Arrondissement")
    assert split_city("69383", "Lyon 3e Arrondissement") == ("Lyon", "Lyon 3e Arrondissement")
    assert split_city("33063", "Bordeaux") == ("Bordeaux", "")
    assert context("75107") == "75, Paris, Île-de-France" and context("2A004") == "2A, Corse-du-Sud, Corse"
    assert lambert93(48.850699, 2.308628) == (649266.35, 6861406.23)      # BAN's x/y of that address


def test_places_carry_ban_fields_and_sound_alikes_are_found(tmp_path):
    g = geocoder_from_rows(tmp_path, PARIS)
    top = g.search("12 rue de rivoli 75004")[0]
    assert top.type == "housenumber" and top.label == "12 Rue de Rivoli 75004 Paris"
    assert (top.city, top.district, top.citycode) == ("Paris", "Paris 4e Arrondissement", "75104")
    assert g.search("12 rue de rivoli paris 1er")[0].id == "75101_rivoli_00012"
    assert g.search("12 rue de rivoli paris 4")[0].id == "75104_rivoli_00012"
    assert g.search("12 avenue de la republik")[0].id == "75111_repu_00012"
    assert g.search("paris 4e")[0].type == "municipality"
    partial = g.search("musee imaginaire de rivoli")
    assert partial and partial[0].score < g.search("rue de rivoli")[0].score


def test_a_word_whose_sound_key_is_a_letter_finds_no_sound_alike(tmp_path):
    """ "eeee" and "haie" share the one-letter key "e", which sounds like any word with that
    vowel: it must not turn garbage into a confident street (found by a review on BAN Paris:
    "é" x 400 gave Rue de la Haie Coq at 0.71)."""
    haie = {"id": "75119_haie_00003", "number": 3, "street": "Rue de la Haie Coq", "postcode": "75019",
            "citycode": "75119", "city": "Paris 19e Arrondissement", "lat": 48.89, "lon": 2.37}
    g = geocoder_from_rows(tmp_path, PARIS + [haie])
    ctx = g.reading
    assert phonetic_key("eeee") == phonetic_key("haie") == "e"
    assert ctx.sound_alikes("eeee") == []
    assert g.search("ééééé") == [] and g.search("é" * 400) == []
    assert ctx.sound_alikes("republik")          # real sound-alikes still found
