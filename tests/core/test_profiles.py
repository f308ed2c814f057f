"""Video profiles: each is one frozen set of parameters, and none lets go of a lost object early."""

import pytest

from service.core.profiles import PROFILES
from service.core.strides import SEEN_PLATE_FLOOR


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_holds_a_lost_track_a_third_of_a_second(name):
    """Detection every frame must not shorten how long a missed object stays masked: at stride 1 a
    6-frame hold uncovered a moving car's plate the detector missed for a few frames (traffic scenes,
    docs/accuracy.md)."""
    prop = PROFILES[name].video_options().propagator(1280, 720)
    assert prop.hold >= 10


def test_an_override_wins_over_the_profile():
    assert PROFILES["thorough"].video_options(hold=3).hold == 3
    assert PROFILES["balanced"].video_options().hold == 6  # two strides (10 frames) is its floor


def test_only_the_strided_profiles_keep_a_seen_plate_through_the_plates_turned_down():
    """Detecting every frame, ``thorough`` gains nothing from them and changes more background."""
    assert PROFILES["balanced"].video_options().seen_plate_floor == SEEN_PLATE_FLOOR
    assert PROFILES["fast"].video_options().seen_plate_floor == SEEN_PLATE_FLOOR
    assert PROFILES["thorough"].video_options().seen_plate_floor is None
    assert PROFILES["thorough"].video_options(seen_plate_floor=0.3).seen_plate_floor == 0.3
