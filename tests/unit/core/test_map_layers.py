"""engine.map_layers: the map's street segments and transit lines, bounded and cached per network."""
from __future__ import annotations

import pytest

from engine import map_layers as M
from engine.errors import InvalidQueryError


def test_whole_bundle_then_caps(sample_network):
    full = M.map_layers(sample_network)
    assert full["streets_total"] == len(full["streets"]) > 0
    assert full["transit_total"] == len(full["transit"]) > 0
    x0, y0, x1, y1 = full["bbox"]
    assert x0 < x1 and y0 < y1
    capped = M.map_layers(sample_network, None, max_segments=5, max_lines=2)
    assert len(capped["streets"]) == 5 and capped["streets_total"] == full["streets_total"]
    assert len(capped["transit"]) == 2 and capped["transit_total"] == full["transit_total"]
    lengths = sorted(abs(a - c) + abs(b - d) for a, b, c, d in full["streets"])
    assert min(abs(a - c) + abs(b - d) for a, b, c, d in capped["streets"]) >= lengths[len(lengths) // 2]
    for line in full["transit"]:
        assert len(line["coordinates"]) >= 2
        assert line["color"] is None or (line["color"].startswith("#") and len(line["color"]) == 7)


def test_a_corner_holds_fewer_segments(sample_network):
    x0, y0, x1, y1 = M.map_layers(sample_network, max_segments=0, max_lines=0)["bbox"]
    corner = M.map_layers(sample_network, (x0, y0, (x0 + x1) / 2, (y0 + y1) / 2))
    assert 0 < corner["streets_total"] < M.map_layers(sample_network)["streets_total"]


def test_the_index_is_built_once_per_network(sample_network):
    M.map_layers(sample_network, max_segments=1, max_lines=1)
    first = M._INDEXES[sample_network]
    M.map_layers(sample_network, max_segments=1, max_lines=1)
    assert M._INDEXES[sample_network] is first


@pytest.mark.parametrize("kwargs, parameter", [({"max_segments": -1}, "max_segments"),
                                               ({"max_lines": M.MAX_MAP_LINES + 1}, "max_lines"),
                                               ({"max_segments": True}, "max_segments"),
                                               ({"bbox": (3, 2, 1, 4)}, "bbox")])
def test_bad_arguments_name_their_parameter(sample_network, kwargs, parameter):
    with pytest.raises(InvalidQueryError) as err:
        M.map_layers(sample_network, **kwargs)
    assert err.value.parameter == parameter
