"""POST /search/csv/ and /reverse/csv/ (addok-csv's protocol) and GET /v1/datasets."""
from __future__ import annotations

import csv
import io

CSV = ("id;numero;voie;cp;ville\n1;281;rue Pasteur;41990;Briqueville\n2;3;rue Gambetta;;Bríquevillé\n3;bad\n"
       "4;1;rue Voltaire;99999;Briqueville\n")


def _rows(text: str, delimiter: str = ";") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_addok_client_call(client, network):
    """An addok client's request: columns repeated, postcode as a filter column, ; delimiter."""
    r = client.post("/search/csv/", files={"data": ("adresses.csv", CSV.encode("cp1252"), "text/csv")},
                    data={"columns": ["numero", "voie", "ville"], "postcode": "cp"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=windows-1252"
    assert r.headers["content-disposition"] == 'attachment; filename="adresses.geocoded.csv"'
    rows = _rows(r.content.decode("cp1252"))
    assert rows[0] == ["id", "numero", "voie", "cp", "ville", "latitude", "longitude", "result_label", "result_score",
                       "result_type", "result_id", "result_housenumber", "result_name", "result_street",
                       "result_postcode", "result_city", "result_context", "result_citycode"]
    first = network.geocode("281 rue Pasteur Briqueville", limit=1, postcode="41990")[0]
    assert rows[1][10] == first.id and rows[1][5] == repr(first.lat)
    assert rows[2][4] == "Bríquevillé" and rows[3][:2] == ["3", "bad"] and rows[3][5:] == [""] * 13
    assert rows[4][5:] == [""] * 13                      # postcode 99999 filters everything out


def test_same_bytes_as_the_cli(client, sample_bundle, tmp_path):
    from engine.cli import main

    src = tmp_path / "in.csv"
    src.write_bytes(CSV.encode("cp1252"))
    out = tmp_path / "out.csv"
    assert main(["geocode-csv", str(sample_bundle), str(src), "--columns", "numero,voie,ville", "--citycode", "cp",
                 "--result-columns", "result_id,result_label,result_x", "-o", str(out), "-q"]) == 0
    r = client.post("/search/csv", files={"data": ("in.csv", src.read_bytes())},
                    data={"columns": ["numero", "voie", "ville"], "citycode": "cp",
                          "result_columns": ["result_id", "result_label", "result_x"]})
    assert r.status_code == 200 and r.content == out.read_bytes()
    assert r.headers["content-encoding"] == "gzip"    # compressed on the way, the same bytes decoded
    rev = tmp_path / "pts.csv"
    rev.write_text("lat,lon\n47.193363,1.55139\n")
    assert main(["reverse-csv", str(sample_bundle), str(rev), "-o", str(out), "-q"]) == 0
    r = client.post("/reverse/csv/", files={"data": ("pts.csv", rev.read_bytes())})
    assert r.status_code == 200 and r.content == out.read_bytes()
    assert _rows(r.text, ",")[1][2] == "47.193363"


def test_bad_requests_are_json(client):
    def post(path="/search/csv/", **kw):
        r = client.post(path, **kw)
        assert r.headers["content-type"] == "application/json", r.text
        return r.status_code, r.json()["error"]

    status, err = post(data={"columns": "x"})
    assert status == 400 and err["parameter"] == "data"
    status, err = post(files={"data": ("a.csv", b"a,b\n1,2\n")}, data={"columns": "c"})
    assert status == 400 and err["parameter"] == "columns" and "'c'" in err["message"]
    status, err = post(files={"data": ("a.csv", b"")})
    assert status == 400 and "empty" in err["message"]
    status, err = post(files={"data": ("a.csv", b"a,b\n")}, data={"encoding": "klingon"})
    assert status == 400 and err["parameter"] == "encoding"
    status, err = post("/reverse/csv/", files={"data": ("a.csv", b"x,y\n1,2\n")})
    assert status == 400 and err["parameter"] == "lat"


def test_non_ascii_file_name_and_non_text_encoding(client):
    """A file name outside Latin-1 and a codec that is not a text encoding: answers, not 500s."""
    r = client.post("/search/csv/", files={"data": ("adresses_été_€.csv", b"a,b\n1,2\n")})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == ('attachment; filename="adresses_t_.geocoded.csv"; '
                                                "filename*=UTF-8''adresses_%C3%A9t%C3%A9_%E2%82%AC.geocoded.csv")
    r = client.post("/search/csv/", files={"data": ("a.csv", b"a,b\n1,2\n")}, data={"encoding": "base64"})
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "encoding"
    r = client.post("/search/csv/", files={"data": ("a.csv", b"a,b\n1,2\n")}, data={"quote": "\n"})
    assert r.status_code == 400 and r.json()["error"]["parameter"] == "quote"


def test_upload_limit_413(network, sample_bundle, serve_app):
    import httpx2 as httpx     # the test extra's client (starlette's TestClient uses it too)

    from server.main import create_app
    from server.settings import Settings

    app = create_app(Settings(bundle=str(sample_bundle), max_upload_bytes=200_000, warmup=False), network=network)
    big = b"q\n" + b"rue pasteur\n" * 20_000
    with serve_app(app) as address:
        r = httpx.post(f"http://{address}/search/csv/", files={"data": ("a.csv", big)})
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
        body = (b"--b\r\nContent-Disposition: form-data; name=\"data\"; filename=\"a.csv\"\r\n\r\n" + big
                + b"\r\n--b--\r\n")

        def chunks():                     # no Content-Length: counted while reading
            for i in range(0, len(body), 10_000):
                yield body[i:i + 10_000]
        r = httpx.post(f"http://{address}/search/csv/", content=chunks(),
                       headers={"content-type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
        # accepted: 100 kB, more than the request-head cap arriving with the head
        part = big[:big.index(b"\n", 100_000) + 1]
        fits = httpx.post(f"http://{address}/search/csv/", files={"data": ("a.csv", part)})
        assert fits.status_code == 200 and fits.text.count("\r\n") == part.count(b"\n")


def test_datasets_endpoint(client, network):
    r = client.get("/v1/datasets")
    assert r.status_code == 200
    datasets = r.json()["datasets"]
    assert datasets == network.datasets()
    assert [d["kind"] for d in datasets] == ["gtfs", "osm", "addresses"]
    gtfs = datasets[0]
    assert gtfs["publisher"] and gtfs["valid_from"] <= gtfs["valid_to"] and gtfs["counts"]["stops"] > 0
    assert "/" not in gtfs["file"]                    # a file name, never a server path
    page, script = client.get("/").text, client.get("/static/app.js").text
    assert 'id="datasets-list"' in page and 'getJSON("/v1/datasets")' in script   # the map page lists them
