"""OSM places loader on a tiny inline .osm file: addresses, streets, places, POIs, cities."""
from engine.geocoder.build import build_geocoder_tables
from engine.loaders.osm_places import read_osm_places
from engine.timetable.staging import BuildReport

OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="49.4100" lon="8.6900" version="1"><tag k="place" v="city"/><tag k="name" v="Heidelberg"/></node>
  <node id="2" lat="49.4120" lon="8.6950" version="1">
    <tag k="addr:housenumber" v="12a"/><tag k="addr:street" v="Hauptstraße"/><tag k="addr:postcode" v="69117"/></node>
  <node id="3" lat="49.4121" lon="8.6952" version="1">
    <tag k="addr:housenumber" v="hinten"/><tag k="addr:street" v="Hauptstraße"/></node>
  <node id="4" lat="49.4130" lon="8.6960" version="1"><tag k="amenity" v="cafe"/><tag k="name" v="Café Gundel"/>
    <tag k="addr:street" v="Hauptstraße"/></node>
  <node id="5" lat="49.4000" lon="8.6800" version="1"/>
  <node id="6" lat="49.4010" lon="8.6820" version="1"/>
  <node id="7" lat="49.4200" lon="8.7000" version="1"/>
  <node id="8" lat="49.4210" lon="8.7010" version="1"/>
  <way id="10" version="1"><nd ref="5"/><nd ref="6"/><tag k="highway" v="residential"/><tag k="name" v="Bergstraße"/></way>
  <way id="11" version="1"><nd ref="6"/><nd ref="7"/><tag k="highway" v="residential"/><tag k="name" v="Bergstraße"/></way>
  <way id="12" version="1"><nd ref="7"/><nd ref="8"/><tag k="highway" v="footway"/><tag k="name" v="Hauptstraße"/></way>
  <way id="13" version="1"><nd ref="7"/><nd ref="8"/><tag k="highway" v="platform"/><tag k="name" v="Bussteig"/></way>
</osm>
"""


def test_reads_addresses_streets_places_and_pois(tmp_path):
    path = tmp_path / "t.osm"
    path.write_text(OSM)
    report = BuildReport()
    addr, places = read_osm_places(path, report)
    assert addr.column("id").to_pylist() == ["osm:node:2"]
    assert addr.column("suffix").to_pylist() == ["a"] and addr.column("city").to_pylist() == ["Heidelberg"]
    assert report.counts["osm_places.skipped_housenumber"] == 1
    rows = {(r["type"], r["name"]) for r in places.to_pylist()}
    assert ("municipality", "Heidelberg") in rows and ("poi", "Café Gundel") in rows   # place=city
    assert sum(1 for r in places.to_pylist() if r["name"] == "Bergstraße") == 1      # two ways, one street
    assert not any(r["name"] == "Bussteig" for r in places.to_pylist())


def test_osm_only_bundle_answers_queries(tmp_path):
    path = tmp_path / "t.osm"
    path.write_text(OSM)
    tables = build_geocoder_tables([], [path], None, BuildReport())
    from engine.bundle.reader import open_bundle
    from engine.bundle.writer import write_bundle
    from engine.geocoder import Geocoder
    g = Geocoder.open(open_bundle(write_bundle(tmp_path / "b", tables, {})), warmup=False)
    assert g.search("12a hauptstr heidelberg")[0].id == "osm:node:2"
    assert g.search("bergstrasse")[0].type == "street"
    # the footway "Hauptstraße" duplicates the address street nearby: one street document only
    assert [p.type for p in g.search("hauptstrasse", types="street")] == ["street"]
    assert g.search("cafe gundel")[0].type == "poi"
