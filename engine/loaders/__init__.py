"""Input readers (GTFS, OSM, address CSV). They know nothing of RAPTOR or the geocoder."""
