"""Travel-time matrices on a dask.distributed cluster: origin chunks as tasks, the bundle mapped
once per worker process.

The client opens the bundle (a memory map: nothing is parsed) only to check the request, as
``Network.travel_time_matrix`` would, before any task starts: options, dates, stop ids and points
of both ends. It then splits the origins into chunks and submits one task per chunk; the
destinations go to every worker once (``client.scatter(..., broadcast=True)``). Each worker
process opens the bundle on its first task and keeps it (``_NETWORKS``, keyed by path, checked
against the manifest digest the client saw), so a worker maps the timetable once however many
chunks it runs. A task runs ``Network.travel_time_matrix`` on its chunk, on one native thread by
default: dask parallelises over tasks.

Every answer is that of ``engine.open(path).travel_time_matrix(...)`` on one process: each
origin's row depends on nothing but the origin, and a chunk passes its origins in a form that
keeps their ids (a point's default id is its position in the whole list, not in its chunk).

Needs the optional extra: ``pip install ".[dask]"`` (dask.distributed; pandas for ``as_dask``).
Nothing else in the engine imports dask.
"""
from __future__ import annotations

import math
import os
import socket
import threading
import uuid
from typing import Any

try:
    import distributed
except ImportError as exc:                  # pragma: no cover - exercised in a subprocess test
    raise ImportError('engine.distributed needs dask.distributed, an optional extra of Brique: '
                      'pip install ".[dask]" (from a clone; "brique[dask]" from a package index)') from exc

import pyarrow as pa

from .accessibility.matrix import MAX_CELLS, all_stops, parse_ends
from .bundle.integrity import MANIFEST_DIGEST_KEY, manifest_digest
from .errors import BundleError, InvalidQueryError
from .raptor.request import check_int

__all__ = ["travel_time_matrix"]

CHUNKS_PER_THREAD = 4          # automatic chunk size: about this many tasks per worker thread
MAX_AUTO_CHUNK = 256           # ... and no more origins than this in one task
MAX_CHUNK = 1_000_000

# Worker side: bundle path -> (manifest digest, engine.Network), one per worker process.
_NETWORKS: dict[str, tuple[str, Any]] = {}
_NETWORKS_LOCK = threading.Lock()


def travel_time_matrix(client: "distributed.Client", bundle_path: str | os.PathLike, origins,
                       destinations=None, *, chunk_size: int | None = None, as_dask: bool = False,
                       **matrix_options):
    """``Network.travel_time_matrix`` on a dask.distributed cluster, origins split in chunks.

    The bundle is read by the workers, each opening it once (memory map) and keeping it for
    the chunks it runs: ``bundle_path`` must name the same bundle on the client and on every
    worker, i.e. lie on storage they share (a network file system, or a local disk when client
    and workers run on one machine). A relative path is made absolute on the client. The client
    checks the path and every option before the first task starts; a worker that sees another
    bundle at that path (not shared, or rebuilt meanwhile) fails with BundleError.

    Parameters
    ----------
    client : distributed.Client
        The cluster's client. Workers need Brique installed, as the client does.
    bundle_path : str or os.PathLike
        Bundle directory, visible to the client and every worker at this path.
    origins, destinations
        As for ``Network.travel_time_matrix``: stop ids, ``(lat, lon)`` points, or a table with
        ``id, lat, lon`` (pyarrow, pandas, GeoJSON points); destinations None = the origins,
        "stops" = every boardable stop.
    chunk_size : int, optional
        Origins per task (one partition each with ``as_dask``). Default: about
        ``CHUNKS_PER_THREAD`` tasks per worker thread, at most ``MAX_AUTO_CHUNK`` origins each.
        Stop ids and points of a mixed list go to separate chunks.
    as_dask : bool
        False: gather and return one pyarrow.Table, bounded like the single-process call
        (``MAX_CELLS`` cells). True: return a dask DataFrame with one partition per chunk, kept
        on the workers (no cell bound; needs pandas); int32 columns become pandas ``Int32``
        (nullable).
    matrix_options
        Keyword arguments of ``Network.travel_time_matrix`` (``date`` and ``time`` required,
        ``window_s``, ``percentiles``, ``max_time_s``, ``mode``, ``max_transfers``,
        ``min_change_time`` ...). ``threads`` is per task and defaults to 1. ``progress``, if
        given, is called on the client with the number of origins done (``as_dask=False``).

    Returns
    -------
    pyarrow.Table or dask.dataframe.DataFrame
        ``from_id, to_id, travel_time_p{P}`` (int32 seconds, null where unreachable),
        origin-major in the order of ``origins``: equal to the single-process table.

    Raises
    ------
    engine.errors.BundleError
        The path is not a bundle on the client, or a worker sees another bundle there.
    engine.errors.InvalidQueryError
        Bad options, unknown stops, points out of range, too many cells.

    Examples
    --------
    >>> from distributed import Client, LocalCluster                   # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> table = travel_time_matrix(client, "/shared/city.bundle", origins, "stops",
    ...                            date="2026-03-03", time="07:30", percentiles=(25, 50, 75))  # doctest: +SKIP
    """
    import engine

    path = os.path.abspath(os.fspath(bundle_path))
    if not os.path.isdir(path):
        raise BundleError(f"bundle {path} does not exist here, on the client: give the path of a bundle that the "
                          "client and every worker can read (shared storage)")
    net = engine.open(path)
    digest = _digest(net)
    options = dict(matrix_options)
    progress = options.pop("progress", None)
    if progress is not None and as_dask:
        raise InvalidQueryError("progress is for as_dask=False (a dask DataFrame reports through dask)", "progress")
    options.setdefault("threads", 1)

    # Check every option on the client: the same call with no origins (its table is the schema).
    empty = net.travel_time_matrix([], [], **options)
    origins = _materialize(origins)
    o_ends = parse_ends(net, origins, "origins")
    if destinations is None:
        destinations, n_dest = origins, len(o_ends.ids)
    elif isinstance(destinations, str) and destinations == "stops":
        n_dest = len(all_stops(net).ids)
    else:
        destinations = _materialize(destinations)
        n_dest = len(parse_ends(net, destinations, "destinations").ids)
    n_orig = len(o_ends.ids)
    if not as_dask and n_orig * n_dest > MAX_CELLS:
        raise InvalidQueryError(f"{n_orig} x {n_dest} cells is more than {MAX_CELLS:,}: split the origins, "
                                "or use as_dask=True", "origins")
    if chunk_size is None:
        slots = max(1, sum(client.nthreads().values()))
        chunk_size = min(MAX_AUTO_CHUNK, max(1, math.ceil(n_orig / (CHUNKS_PER_THREAD * slots))))
    else:
        chunk_size = check_int(chunk_size, "chunk_size", 1, MAX_CHUNK)
    chunks = _chunks(o_ends, chunk_size)
    if not chunks:
        return _empty_dask(empty) if as_dask else empty

    # hash=False: a key of its own per call (a hashed key shared with the previous identical
    # call can be lost while the scheduler releases it, cancelling this call's tasks).
    shared = (destinations if isinstance(destinations, str)
              else client.scatter([destinations], broadcast=True, hash=False)[0])
    prefix = f"brique-matrix-{uuid.uuid4().hex[:12]}"
    futures = [client.submit(_run_chunk, path, digest, chunk, shared, options, as_dask, key=f"{prefix}-{i}")
               for i, (chunk, _) in enumerate(chunks)]
    if as_dask:
        import dask.dataframe as dd

        return dd.from_delayed(futures, meta=_to_pandas(empty), verify_meta=True)
    try:
        if progress is not None:
            sizes = {f.key: n for f, (_, n) in zip(futures, chunks)}
            done = 0
            for future in distributed.as_completed(futures):
                future.result()                    # raise the first failure now
                done += sizes[future.key]
                progress(done)
        tables = client.gather(futures)
    except BaseException:
        client.cancel(futures)
        raise
    return pa.concat_tables(tables).combine_chunks()


def _materialize(value):
    """The ends as a value that can be read twice and sent to workers: iterables become lists,
    pandas frames pyarrow tables; strings, pyarrow tables and GeoJSON dicts stay."""
    if isinstance(value, (str, dict)) or hasattr(value, "column_names"):
        return value
    if hasattr(value, "columns"):
        return pa.Table.from_pandas(value, preserve_index=False)
    try:
        return list(value)
    except TypeError:
        return value                      # parse_ends names the problem


def _chunks(ends, size: int) -> list[tuple[list[str] | pa.Table, int]]:
    """(origins of one task, count): runs of at most ``size`` origins, stop ids as a list of
    ids, points as a table ``id, lat, lon`` carrying their ids (a point's id in a list is its
    position in the whole list, which a slice would renumber)."""
    out = []
    start, n = 0, len(ends.ids)
    while start < n:
        is_point = ends.points[start] is not None
        stop = start + 1
        while stop < n and stop - start < size and (ends.points[stop] is not None) == is_point:
            stop += 1
        ids = ends.ids[start:stop]
        if is_point:
            points = ends.points[start:stop]
            chunk = pa.table({"id": pa.array(ids, pa.string()),
                              "lat": pa.array([p[0] for p in points], pa.float64()),
                              "lon": pa.array([p[1] for p in points], pa.float64())})
        else:
            chunk = list(ids)
        out.append((chunk, stop - start))
        start = stop
    return out


def _digest(net) -> str:
    return net.manifest.get(MANIFEST_DIGEST_KEY) or manifest_digest(net.manifest)


def _network(path: str, digest: str):
    """This worker process's Network for ``path``, opened on the first task that needs it."""
    with _NETWORKS_LOCK:
        cached = _NETWORKS.get(path)
        if cached is not None and cached[0] == digest:
            return cached[1]
        from . import api

        try:
            net = api.open(path)
        except BundleError as exc:
            if not os.path.exists(path):
                raise BundleError(f"bundle {path} does not exist on the worker at {socket.gethostname()}: the "
                                  "bundle must be on storage that the client and every worker share") from exc
            raise
        seen = _digest(net)
        if seen != digest:
            raise BundleError(f"the bundle {path} on the worker at {socket.gethostname()} is not the one the "
                              f"client opened (manifest {seen} instead of {digest}): it was rebuilt meanwhile, "
                              "or the path is not on shared storage")
        _NETWORKS[path] = (digest, net)
        return net


def _run_chunk(path: str, digest: str, origins, destinations, options: dict, as_pandas: bool):
    """One task: the matrix of a chunk of origins, on the worker's cached Network."""
    table = _network(path, digest).travel_time_matrix(origins, destinations, **options)
    return _to_pandas(table) if as_pandas else table


def _to_pandas(table: pa.Table):
    import pandas as pd

    return table.to_pandas(types_mapper={pa.int32(): pd.Int32Dtype()}.get)


def _empty_dask(empty: pa.Table):
    import dask.dataframe as dd

    return dd.from_pandas(_to_pandas(empty), npartitions=1)
