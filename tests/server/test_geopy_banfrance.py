"""geopy's BANFrance client against a real uvicorn server on 127.0.0.1 (the HTTP path a French
user's code takes): it geocodes and reverses with one request per call (``/search`` and
``/reverse`` without the trailing slash answer directly, no 307), and reads BAN's fields."""
from __future__ import annotations


import pytest

pytest.importorskip("fastapi")
# geopy is a test dependency (pyproject's [test]): missing, this test fails instead of skipping
from geopy.geocoders import BANFrance  # noqa: E402

BAN_HEADER = ("id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;"
              "nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;"
              "source_position;source_nom_voie;certification_commune;cad_parcelles")
#: real BAN rows (adresses-75.csv.gz, 2024)
BAN_ROWS = [
    "75107_8909_00020;75107_8909;20;;Avenue de Ségur;75007;75107;Paris 7e Arrondissement;;;649266.35;6861406.23;"
    "2.308628;48.850699;parcelle;;;PARIS;AVENUE DE SEGUR;commune;commune;1;",
    "75104_8249_00012;75104_8249;12;;Rue de Rivoli;75004;75104;Paris 4e Arrondissement;;;653036.75;6861919.65;"
    "2.35995;48.855602;parcelle;;;PARIS;RUE DE RIVOLI;commune;commune;1;",
    "75104_8249_00062;75104_8249;62;;Rue de Rivoli;75004;75104;Paris 4e Arrondissement;;;652520.27;6862111.01;"
    "2.35289;48.857285;parcelle;;;PARIS;RUE DE RIVOLI;commune;commune;1;",
    "75112_7597_00001;75112_7597;1;;Boulevard Poniatowski;75012;75112;Paris 12e Arrondissement;;;655099.03;"
    "6858918;2.388372;48.828755;parcelle;;;PARIS;BOULEVARD PONIATOWSKI;commune;commune;1;",
]


@pytest.fixture(scope="module")
def ban_server(tmp_path_factory, serve_app):
    """A bundle of real BAN rows served by uvicorn on a free loopback port; yields (host:port, paths seen)."""

    import engine
    from server.main import create_app
    from server.settings import Settings

    tmp = tmp_path_factory.mktemp("ban")
    csv = tmp / "adresses-75.csv"
    csv.write_text("\n".join([BAN_HEADER, *BAN_ROWS]) + "\n", encoding="utf-8")
    bundle = engine.build(tmp / "ban.bundle", [], addresses=[csv]).path
    app = create_app(Settings(bundle=str(bundle)), network=engine.open(bundle))
    seen: list[tuple[str, int]] = []

    async def counting(scope, receive, send):
        async def send_status(message):
            if message["type"] == "http.response.start":
                seen.append((scope["path"], message["status"]))
            await send(message)
        await app(scope, receive, send_status if scope["type"] == "http" else send)

    with serve_app(counting) as address:
        yield address, seen


def test_geopy_banfrance_geocodes_and_reverses_in_one_request(ban_server):
    domain, seen = ban_server
    geo = BANFrance(domain=domain, scheme="http", timeout=10)
    seen.clear()
    loc = geo.geocode("20 avenue de ségur paris 7")
    assert loc is not None and loc.address == "20 Avenue de Ségur 75007 Paris"
    assert (round(loc.latitude, 6), round(loc.longitude, 6)) == (48.850699, 2.308628)
    props = loc.raw["properties"]
    assert props["type"] == "housenumber" and props["id"] == "75107_8909_00020"
    assert props["city"] == "Paris" and props["district"] == "Paris 7e Arrondissement"
    assert props["citycode"] == "75107" and props["postcode"] == "75007"
    assert props["context"] == "75, Paris, Île-de-France"
    assert (props["x"], props["y"]) == (649266.35, 6861406.23)       # as BAN's CSV gives them
    assert 0 < props["importance"] <= 1
    assert seen == [("/search", 200)]                              # no redirect, one round trip

    seen.clear()
    rev = geo.reverse((48.857285, 2.35289))
    assert rev is not None and rev.address == "62 Rue de Rivoli 75004 Paris"
    assert seen == [("/reverse", 200)]


def test_addok_collection_carries_ban_attribution_and_licence(ban_server):
    import json
    import urllib.parse
    import urllib.request

    domain, _ = ban_server
    url = f"http://{domain}/search/?" + urllib.parse.urlencode({"q": "rue poniatoski", "limit": 1})
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.loads(r.read())
    assert body["attribution"] == "BAN" and body["licence"] == "ETALAB-2.0"
    top = body["features"][0]["properties"]
    assert top["type"] == "street" and top["name"] == "Boulevard Poniatowski" and top["city"] == "Paris"
