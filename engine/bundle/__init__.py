"""The bundle: a directory of uncompressed Arrow IPC files + manifest.json, the only contract
between build time (loaders, builders, writer) and query time (reader, RAPTOR, geocoder)."""
