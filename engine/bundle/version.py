"""The bundle format's name and version (history in schema.py); importable without pyarrow, so
that a light check of a manifest (``manifest.read_manifest``) costs no heavy import."""
FORMAT_VERSION = 11
MAGIC = "brique-bundle"
