"""How propagation scales with the detection stride: the least growth of propagated masks, the hold
after a track's last sighting, the look-ahead before a frame is final, and when a weak guess counts
(``service.core.tracking.for_stride`` builds the propagator from them)."""

MIN_SPEED_PER_STRIDE = 0.025
"""Least growth of a propagated mask per frame away from a sighting over which its object was *not*
followed (``service.core.follow``), as a share of the object's size, per frame of detection stride: the
less often the detector looks, the less is known in between. Each video profile sets its own
(``service.core.profiles``); this is the ``thorough`` one's.

A cone that grows with the stride does not find what the detector missed; it only hides it under
wide masks. Detecting more often, at a larger working size, is the cure (docs/accuracy.md, "Video")."""


def min_speed(stride: int, per_stride: float = MIN_SPEED_PER_STRIDE) -> float:
    return per_stride * max(1, stride)


CONFIRM_AFTER = 2
"""Detected frames in which a weak face proposal must be found (with the camera's motion) before its
track is masked; see ``Propagator.push``."""


HOLD_FRAMES = 6
"""A track is held for at least this many frames after its last sighting (and masked as long before its
first), whatever the stride: detecting every frame, a 6-frame hold uncovered a moving plate the detector
missed a few frames in a row; ``thorough`` holds 10 (``service.core.profiles``)."""


SEEN_PLATE_FLOOR = 0.2
"""A plate proposal the plate verifier turns down, scoring at least this, still extends a plate track
already painted (``Propagator.push``), however long ago it was last sighted while the tracker remembers
it: a plate that was seen is kept. Behind a trailer's mesh, a plate the verifier was once sure of
scored 0.38–0.42 a second later; of the finder's 17,698 proposals on plate-free images, 15 score between
0.2 and the threshold (docs/accuracy.md, "A plate that was seen is kept"). It starts nothing: what only
ever scored under the threshold is never painted."""

HOLD_STRIDES = 2
"""A track is held for at least this many detection strides after its last sighting: its coverage
survives one detected frame that misses it."""


LOOKAHEAD_STRIDES = 2
"""A frame is final only once this many detection strides have been seen after it. A track the next
detected frame starts (an object entering, or missed once) or confirms (a weak guess found again) then
reaches back over the stride before its first sighting, as the hold reaches forward; with one stride
those frames were already final. It costs memory: the frames held double."""


EDGE_HOLD = 3
"""A track last sighted cut by the frame's edge is held this many times longer, for as long as its mask,
moved with the picture, is still in the frame: a detector finds part of a face or plate far less
often than a whole one, so an object leaving the picture is missed while it is still half in it."""


EDGE_EVERY = 2
"""Between detected frames, the frame's side bands are searched for faces every this many frames
(``service.core.edge_bands``; 0: never): every 2nd frame finds most of the faces every frame would."""


FOLLOW_GROWTH = 0.02
"""Least growth of a propagated mask per frame over which its object itself was followed
(``service.core.follow``), as a share of the object's size: what following can drift by. It does not
scale with the stride: a followed object's place is measured in every frame, not guessed."""


FOLLOW_SHARE = {"plates": 0.25}
"""Class -> share of ``FOLLOW_GROWTH`` its followed masks grow by (1 for any other). A plate is rigid:
its points move as one, so following it drifts far less than following a face, which turns and changes
shape. Measured (docs/accuracy.md, "Video"): a quarter leaves every plate and face leak of the scene
suites as it was and takes the background a followed false plate (a large sign) held."""
