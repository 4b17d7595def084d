"""The benchmark tables name each size's root by its official code, whichever list the run used."""

from bench.report import _official


def test_a_root_recorded_under_the_previous_list_is_shown_under_its_official_code():
    assert _official("05", "city") == "31"  # Hải Phòng in the previous list
    assert _official("01310", "commune") == "10966"  # Bình Giang


def test_a_root_recorded_under_the_official_list_is_kept():
    # 31 was another province's code in the previous list: a run on official codes must not be "translated"
    assert _official("31", "city") == "31"
    assert _official("10966", "commune") == "10966"
