def test_should_prefer_the_result_nearest_the_focus_point(paris):
    near_1er = paris.search("12 rue de rivoli", lat=48.864, lon=2.330)
    near_4e = paris.search("12 rue de rivoli", lat=48.8556, lon=2.358)
    assert near_1er[0].id == "75101_rivoli_00012"
    assert near_4e[0].id in ("75104_rivoli_00012",)
    assert near_1er[0].distance_m < 50
