from dataclasses import replace

import numpy as np

from service.core.masks import paint
from service.core.tracking import Propagator, for_stride
from service.geometry import Detection


def det(x, y=20, size=20, cls="faces"):
    return Detection(cls, 0.9, (x, y, x + size, y + size), np.ones((size, size), bool))


def run(prop, frames, weak=None, cameras=None):
    """``frames``: list of detection lists (None = detection skipped), with optional per-frame weak
    detections and camera motions. Returns objects per frame."""
    out = {}
    for t, dets in enumerate(frames):
        for ft, _, objs in prop.push(t, None, dets, weak[t] if weak else None,
                                     camera=cameras[t] if cameras else None):
            out[ft] = objs
    for ft, _, objs in prop.flush():
        out[ft] = objs
    return [out[t] for t in range(len(frames))]


def test_missed_frames_are_filled_by_interpolation():
    frames = [[det(10 + 3 * t)] if t not in (4, 5, 6) else [] for t in range(12)]
    objs = run(Propagator(200, 100, window=4, hold=4), frames)
    for t in (4, 5, 6):
        m = paint(objs[t], (100, 200))
        x = 10 + 3 * t
        assert m[30, x + 2: x + 18].all(), t  # the object where it really was


def test_stride_covers_every_frame():
    frames = [[det(10 + 2 * t)] if t % 3 == 0 else None for t in range(15)]
    objs = run(Propagator(200, 100, window=3, hold=3), frames)
    for t in range(13):
        m = paint(objs[t], (100, 200))
        x = 10 + 2 * t
        assert m[30, x + 2: x + 18].all(), t


def test_hold_before_and_after_then_release():
    frames = [[] for _ in range(30)]
    for t in range(10, 15):
        frames[t] = [det(50)]
    objs = run(Propagator(200, 100, window=3, hold=3), frames)
    covered = [t for t in range(30) if paint(objs[t], (100, 200))[30, 60]]
    assert covered == list(range(7, 18))


def test_memory_stays_bounded_on_long_runs():
    prop = Propagator(200, 100, window=4, hold=4)
    for t in range(2000):
        prop.push(t, None, [det(10 + (t % 50)), det(120, cls="plates")], camera=np.eye(3))
    assert len(prop._pending) <= 5
    assert sum(len(tr.seen) for tr in prop.tracks) < 40
    assert len(prop._motion) < 20


def test_held_masks_grow_with_the_track_speed():
    """A fast object that stops being detected is still covered where it has moved to."""
    frames = [[det(10 + 10 * t)] if t <= 5 else [] for t in range(10)]
    objs = run(Propagator(300, 100, window=3, hold=3), frames)
    for t in (6, 7, 8):
        x = 10 + 10 * t  # where it really is now
        assert paint(objs[t], (100, 300))[30, x + 2: x + 18].all(), t
    assert not paint(objs[9], (100, 300)).any()


def test_weak_detections_extend_tracks_but_never_start_one():
    strong = [[det(10 + 2 * t)] if t < 3 else [] for t in range(20)]
    weak = [[det(10 + 2 * t), det(150)] for t in range(20)]  # the second one never strong: no object
    out = run(Propagator(200, 100, window=2, hold=0), strong, weak)
    for t in range(20):
        m = paint(out[t], (100, 200))
        x = 10 + 2 * t
        assert m[30, x + 2: x + 18].all(), t  # followed through the weak frames
        assert not m[30, 155:165].any(), t  # weak alone never redacts


def shift(dx, dy):
    return np.array([[1.0, 0, dx], [0, 1.0, dy], [0, 0, 1]])


def test_camera_motion_keeps_propagated_masks_on_a_shaking_picture():
    """Stride 4 on a shaking camera: the object sits still in the world, the picture jumps; with the
    camera's motion the masks between detections land on it and stay tight."""
    rng = np.random.default_rng(0)
    offsets = np.round(rng.normal(0, 12, size=(17, 2))).astype(int)
    where = [(80 + dx, 40 + dy) for dx, dy in offsets]

    def objects(camera: bool):
        frames = [[det(x, y)] if t % 4 == 0 else None for t, (x, y) in enumerate(where)]
        moves = [shift(*(offsets[t] - offsets[t - 1])) if camera and t else None for t in range(len(where))]
        out = run(Propagator(300, 150, window=4, hold=4, min_speed=0.05), frames, cameras=moves)
        return [paint(objs, (150, 300)) for objs in out]

    tight = objects(camera=True)
    for t, (x, y) in enumerate(where):
        assert tight[t][y:y + 20, x:x + 20].all(), t
        assert tight[t].sum() <= (20 + 2 * 4) ** 2, t  # grown by the least speed only: 1 px a frame, 4 away
    loose = objects(camera=False)
    assert any(not loose[t][y:y + 20, x:x + 20].all() for t, (x, y) in enumerate(where))


def test_weak_sightings_confirmed_again_become_an_object():
    """With ``confirm_after`` 2, a weak guess found again in a later detected frame is masked (from
    its first sighting on); one seen only once never is."""
    due = [t % 4 == 0 for t in range(12)]
    weak = [[det(10 + 2 * t)] + ([det(150)] if t == 4 else []) if due[t] else None for t in range(12)]
    out = run(Propagator(200, 100, window=4, hold=2, confirm_after=2), [[] if d else None for d in due],
              weak)
    for t in range(10):
        m = paint(out[t], (100, 200))
        x = 10 + 2 * t
        assert m[30, x + 2: x + 18].all(), t
        assert not m[30, 155:165].any(), t


def test_a_doubted_plate_keeps_a_plate_seen_long_ago_and_starts_nothing():
    """A plate the verifier turned down (``Detection.doubt``) extends a painted plate track sighted
    longer ago than its hold, where the track should be; alone, or where only a tentative track was, it
    paints nothing."""
    def doubted(x):
        return replace(det(x, cls="plates"), sure=False, doubt=True)

    due = [t % 4 == 0 for t in range(40)]
    sure = [[det(50, cls="plates")] if t == 0 else ([] if due[t] else None) for t in range(40)]
    doubts = [[doubted(50), doubted(150)] if due[t] and t >= 16 else None for t in range(40)]
    # remembered for 16 frames (``_forget``: the look-ahead and longest hold), held for 4
    out = run(Propagator(200, 100, window=4, hold=4, confirm_after=2, edge_hold=12), sure, doubts)
    covered = [t for t in range(40) if paint(out[t], (100, 200))[30, 60]]
    assert set(range(12, 40)) <= set(covered) and 8 not in covered  # lost for 16 frames, then kept
    assert not any(paint(out[t], (100, 200))[30, 160] for t in range(40))  # doubted alone: nothing
    tentative = [[replace(det(50, cls="plates"), sure=False)] if t == 0 else None for t in range(40)]
    out = run(Propagator(200, 100, window=4, hold=4, confirm_after=2, edge_hold=12),
              [[] if due[t] else None for t in range(40)],
              [tentative[t] or doubts[t] for t in range(40)])
    assert not any(paint(out[t], (100, 200))[30, 60] for t in range(40))  # a guess is not confirmed by doubt


def test_a_weak_view_of_an_object_sighted_in_the_same_frame_widens_its_mask():
    """A masked face's sure sighting may hold only its eyes while a weak proposal holds the whole face:
    the weak view's pixels join the sighting (as a still paints both), within ``WEAK_VIEW_REACH`` × the
    sighting's box; a weak one elsewhere does not."""
    upper = np.zeros((30, 30), bool)
    upper[:14] = True
    eyes = Detection("faces", 0.9, (35, 12, 65, 42), upper)  # its window: 1.3× reaches rows 7–46
    whole = Detection("faces", 0.2, (38, 16, 62, 56), np.ones((40, 24), bool))  # box IoU 0.5
    due = [t % 4 == 0 for t in range(9)]
    out = run(Propagator(200, 100, window=4, hold=4, confirm_after=2),
              [[eyes] if d else None for d in due],
              [[whole] + ([det(150)] if t == 4 else []) if d else None for t, d in enumerate(due)])
    for t in range(9):
        m = paint(out[t], (100, 200))
        assert m[16:47, 38:62].all(), t  # the whole face, at every frame
        assert not m[30, 155:165].any(), t  # a weak one seen once, overlapping nothing, is a guess
    for t in (0, 4, 8):
        assert not paint(out[t], (100, 200))[48:56].any(), t  # nothing beyond the reach
    plain = run(Propagator(200, 100, window=4, hold=4, confirm_after=2),
                [[eyes] if d else None for d in due], [[] if d else None for d in due])
    assert not paint(plain[0], (100, 200))[30:42, 38:62].any()  # without the weak view: the eyes only


def test_a_weak_guess_in_the_last_detected_frame_is_masked_at_the_end():
    """A weak face that could not be found again because the video ended is masked (fail closed); one
    that had a later detected frame to be found in, and was not, stays unmasked. A weak plate (a speck,
    or one the verifier kept only just) is not masked on the strength of the video ending."""
    due = [t % 4 == 0 for t in range(11)]
    weak = [([det(150)] if t == 8 else []) + ([det(40)] if t == 4 else []) if due[t] else None
            for t in range(11)]
    out = run(Propagator(200, 100, window=4, hold=4, confirm_after=2), [[] if d else None for d in due],
              weak)
    for t in range(7, 11):  # the frames still pending at the end (up to 6 were final before)
        assert paint(out[t], (100, 200))[30, 152:168].all(), t
    assert not any(paint(out[t], (100, 200))[30, 42:58].any() for t in range(11))
    plates = run(Propagator(200, 100, window=4, hold=4, confirm_after=2), [[] if d else None for d in due],
                 [[det(150, cls="plates")] if t == 8 else [] if d else None for t, d in enumerate(due)])
    assert not any(paint(plates[t], (100, 200)).any() for t in range(11))  # a weak plate is a guess


def test_a_wrong_camera_motion_does_not_uncover_a_tracked_object():
    """A bus filling most of a still CCTV picture can pass for the camera's motion. Between two
    sightings the wrong motion cancels out in the interpolation, and the track's speed relative to
    the (wrongly) moving picture grows its held masks over where it really is."""
    bus = shift(6, 0)  # measured every frame; the camera and the object stand still
    frames = [[det(100, 40)] if t % 4 == 0 and t <= 12 else None for t in range(20)]
    out = run(Propagator(300, 120, window=4, hold=4, min_speed=0.05), frames,
              cameras=[bus if t else None for t in range(20)])
    for t in range(17):
        assert paint(out[t], (120, 300))[40:60, 100:120].all(), t



def test_an_object_the_camera_brings_in_at_the_edge_is_covered_whole():
    """The camera pans so that a 40 px face comes in from the left edge, 5 px per frame; it is detected
    once, when only its right 10 px are inside. Held over the next frames with the camera's motion,
    its mask covers all of it that has come in, not only the 10 px once seen."""
    mask = np.ones((40, 10), bool)
    frames = [[Detection("faces", 0.9, (0, 30, 10, 70), mask)]] + [None] * 8
    cameras = [None] + [shift(5, 0)] * 8
    objs = run(Propagator(200, 100, window=8, hold=8, min_speed=0.0), frames, cameras=cameras)
    for t in range(9):
        x1 = -30 + 5 * t
        assert paint(objs[t], (100, 200))[30:70, max(0, x1):x1 + 40].all(), t


def test_an_object_leaving_through_the_edge_is_held_until_it_is_out():
    """A camera pan carries a 40 px face out through the right edge, 3 px per frame. The detector loses
    it once the edge cuts it (t = 4); held three times as long as a whole one, with the picture's
    motion, its mask follows it out. A face lost in the middle of the frame is released after the hold."""
    leaving = [[Detection("faces", 0.9, (156 + 3 * t, 30, 200, 70), np.ones((40, 44 - 3 * t), bool))]
               if t <= 4 else [] for t in range(24)]
    objs = run(Propagator(200, 100, window=4, hold=4, min_speed=0.0, edge_hold=12), leaving,
               cameras=[None] + [shift(3, 0)] * 23)
    for t in range(15):  # still in the picture up to t = 14 (x1 = 198)
        x1 = 156 + 3 * t
        assert paint(objs[t], (100, 200))[30:70, x1:200].all(), t
    inside = [[det(80, 30, 40)] if t <= 4 else [] for t in range(24)]
    objs = run(Propagator(200, 100, window=4, hold=4, min_speed=0.0, edge_hold=12), inside)
    assert [t for t in range(24) if paint(objs[t], (100, 200))[50, 100]] == list(range(9))


def _looking(prop, frames, look_for):
    """Like ``run``, with ``look_for(t)`` as the second look of each detected frame."""
    out = {}
    for t, dets in enumerate(frames):
        for ft, _, objs in prop.push(t, None, dets, look=look_for(t) if dets is not None else None):
            out[ft] = objs
    out.update({ft: objs for ft, _, objs in prop.flush()})
    return [paint(out[t], (100, 200)) for t in range(len(frames))]


def test_a_second_look_keeps_an_object_the_detector_lost_covered():
    """Detected every 4th frame, a face walking 3 px a frame is found by the detector at frame 0 only.
    The second look is asked where the lost track's object may be and finds it there at frames 4 and
    8, within ``window + hold`` of the detector's sighting (not at 12, past it): covered up to frame 12
    (held 4 frames after 8), where the hold alone lets it go after frame 4."""
    frames = [([det(10)] if t == 0 else []) if t % 4 == 0 else None for t in range(16)]
    asked = []

    def look_for(t):
        def look(wanted, taken):
            asked.append(t)
            found = []
            for cls, (x1, y1, x2, y2), _ in wanted:
                d = det(10 + 3 * t)  # the object where it really is, if the search box holds it
                inside = x1 <= d.box[0] and d.box[2] <= x2 and y1 <= d.box[1] and d.box[3] <= y2
                found.append(d if cls == "faces" and inside else None)
            return found
        return look

    objs = _looking(Propagator(200, 100, window=4, hold=4, min_speed=0.2), frames, look_for)
    assert asked == [4, 8]
    for t in range(13):
        x = 10 + 3 * t
        assert objs[t][30, x + 2:x + 18].all(), t
    assert not objs[15][30, 57:73].any()
    alone = _looking(Propagator(200, 100, window=4, hold=4, min_speed=0.2), frames,
                     lambda t: lambda wanted, taken: [None] * len(wanted))
    assert not alone[12][30, 48:64].any()


def test_what_a_second_look_finds_elsewhere_leaves_the_lost_object_held():
    """A second look that finds something else (a look-alike nearby) starts a track of its own: the
    lost object's track is still held over its hold frames (fail closed)."""
    frames = [([det(60)] if t == 0 else []) if t % 4 == 0 else None for t in range(12)]
    objs = _looking(Propagator(200, 100, window=4, hold=4), frames,
                    lambda t: lambda wanted, taken: [det(100) for _ in wanted])
    for t in range(5):
        assert objs[t][30, 62:78].all(), t  # held from frame 0 for 4 frames
    assert objs[4][30, 102:118].all()  # and the look-alike from where it was found


def test_at_a_stride_a_track_survives_one_detected_frame_that_misses_it():
    """Detected every 8th frame and sighted at frames 0 and 8 only, a standing object stays masked until
    the detected frame after the one that missed it (frame 24): the hold spans two strides."""
    frames = [([det(60)] if t <= 8 else []) if t % 8 == 0 else None for t in range(40)]
    objs = run(for_stride(200, 100, stride=8, window=6, hold=6), frames)
    covered = [t for t in range(40) if paint(objs[t], (100, 200))[30, 70]]
    assert covered == list(range(25))


def test_at_a_stride_a_new_track_reaches_back_over_the_stride_before_it():
    """Detected every 8th frame, an object the detector first sees at frame 16 (missed at 8, say while
    it entered) is covered from frame 0: the look-ahead spans two strides, so the stride before its
    first sighting (and the hold before it) is not yet final when it is found. With one stride of
    look-ahead, frames 0–7 were final by then and left uncovered."""
    frames = [([det(60)] if t >= 16 else []) if t % 8 == 0 else None for t in range(40)]
    covered = [t for t, o in enumerate(run(for_stride(200, 100, stride=8, window=6, hold=6), frames))
               if paint(o, (100, 200))[30, 70]]
    assert covered == list(range(40))
    short = run(for_stride(200, 100, stride=8, window=6, hold=6, lookahead_strides=1), frames)
    assert not any(paint(o, (100, 200))[30, 70] for o in short[:8])


def test_at_a_stride_a_weak_guess_confirmed_later_is_covered_before_it_was_confirmed():
    """A weak guess at frame 8, found again at 16, is masked from the stride before frame 8 on."""
    due = [t % 8 == 0 for t in range(40)]
    weak = [[det(60)] if t in (8, 16) else [] for t in range(40)]
    objs = run(for_stride(200, 100, stride=8, window=6, hold=6), [[] if d else None for d in due], weak)
    assert [t for t, o in enumerate(objs) if paint(o, (100, 200))[30, 70]] == list(range(33))


def test_a_detected_frame_is_masked_no_wider_than_the_frames_beside_it():
    """At a stride, a frame where the track is sighted knows where its object is: its other sightings
    are grown by the track's own motion and one frame's uncertainty, as in the frames beside it, not
    by the stride's (which made a wide mask pulse every 8th frame). It still covers the object."""
    frames = [[det(160 + t // 2)] if t % 8 == 0 else None for t in range(33)]
    objs = run(for_stride(400, 100, stride=8, window=6, hold=6), frames)
    areas = [int(paint(o, (100, 400)).sum()) for o in objs]
    for t in (8, 16):
        x = 160 + t // 2
        m = paint(objs[t], (100, 400))
        assert m[20:40, x:x + 20].all()
        assert areas[t] <= 3 * max(areas[t - 1], areas[t + 1]), (t, areas[t - 1:t + 2])
        # the other sightings lie 4 px off, grown by the 4 px the track moves on its own in 8 frames;
        # their union (36 px) grown by one frame's 8 px (0.2 × 36): 16 px at most (a stride's: 32)
        cols = np.nonzero(m.any(axis=0))[0]
        assert x - 16 <= cols.min() and cols.max() < x + 20 + 16, (cols.min(), cols.max())


def test_a_partly_searched_frame_adds_sightings_and_misses_nothing():
    """Sightings of a partly searched frame (the side bands) start tracks, but a track it does not
    sight was not missed there: the next detected frame still looks for it, and looks are asked of
    detected frames only."""
    asked: list[tuple[int, int]] = []

    def look_for(t):
        def look(wanted, taken):
            asked.append((t, len(wanted)))
            return [None] * len(wanted)
        return look

    prop = Propagator(200, 100, window=4, hold=4)
    out = {}
    for t in range(12):
        if t % 4 == 0:
            pushed = prop.push(t, None, [det(100)] if t == 0 else [], look=look_for(t))
        elif t % 2 == 0:
            pushed = prop.push(t, None, [det(0)] if t == 6 else [], partial=True)
        else:
            pushed = prop.push(t, None, None)
        out.update({ft: objs for ft, _, objs in pushed})
    out.update({ft: objs for ft, _, objs in prop.flush()})
    # at 4 the face at x=100, which frame 2 did not sight; at 8 the band's face sighted at 6
    assert asked == [(4, 1), (8, 1)]
    assert [t for t in range(12) if paint(out[t], (100, 200))[30, 5]] == list(range(2, 11))


def _run_followed(prop, frames, steps):
    """``run`` with per-frame followed steps: frame t's ``steps[t]`` (track id -> 3×3), or None."""
    out = {}
    for t, dets in enumerate(frames):
        for ft, _, objs in prop.push(t, None, dets, followed=steps[t]):
            out[ft] = objs
    for ft, _, objs in prop.flush():
        out[ft] = objs
    return [out[t] for t in range(len(frames))]


def test_a_followed_object_is_masked_where_it_is_and_grows_little():
    """At stride 10 an object is detected at frames 0 and 10 only; it swerves in between (down 4 px a
    frame, then back up), which interpolation cannot know. Followed frame by frame, each frame's mask
    sits on it and grows by the follow growth only; unfollowed, the mask must grow far wider to cover
    it (the cone of where it might be)."""
    def where(t):
        return 40 + 2 * t, 40 + 4 * min(t, 10 - t)

    frames = [[det(*where(t))] if t % 10 == 0 else None for t in range(21)]
    def step(t):
        (x0, y0), (x1, y1) = where(t - 1), where(t)
        return np.array([[1.0, 0, x1 - x0], [0, 1.0, y1 - y0], [0, 0, 1.0]])

    shift = [None] + [step(t) for t in range(1, 21)]
    followed = for_stride(300, 200, 10, 6, 6)
    objs = _run_followed(followed, frames, [({0: shift[t]} if t else None) for t in range(21)])
    for t in range(1, 10):
        x, y = where(t)
        m = paint(objs[t], (200, 300))
        assert m[y:y + 20, x:x + 20].all(), t
        assert m.sum() <= (20 + 2 * 3) ** 2, (t, m.sum())  # the follow growth: ≤ 1 px a frame
    unfollowed = run(for_stride(300, 200, 10, 6, 6), frames)
    assert paint(unfollowed[5], (200, 300)).sum() > 4 * paint(objs[5], (200, 300)).sum()


def test_a_followed_plate_grows_by_a_quarter_of_what_a_followed_face_does():
    """Held after its last sighting and followed standing still, a 100-px object grows by the follow
    growth per frame: a face by 2 % of its size a frame, a plate (rigid) by a quarter of that."""
    grown = {}
    for cls in ("faces", "plates"):
        frames = [[det(100, 50, 100, cls)] if t == 0 else None for t in range(6)]
        still = np.eye(3)
        objs = _run_followed(Propagator(300, 200, window=2, hold=6, follow_growth=0.02), frames,
                             [{0: still} if t else None for t in range(6)])
        m = paint(objs[5], (200, 300))
        assert m[50:150, 100:200].all(), cls
        grown[cls] = int(np.nonzero(m.any(axis=0))[0].min())  # the mask's left edge
    assert grown == {"faces": 100 - 10, "plates": 100 - 3}  # 5 frames × 2 px, and × 0.5 px (ceiled)


def test_between_two_sightings_that_disagree_each_one_stays_covered():
    """A standing object found first small (a face), then large and offset (its head): the interpolated
    box alone would squeeze both shapes into an average and uncover the part each one held."""
    small = Detection("faces", 0.9, (50, 40, 70, 60), np.ones((20, 20), bool))
    large = Detection("faces", 0.9, (44, 20, 80, 60), np.ones((40, 36), bool))
    frames = [[small] if t == 0 else [large] if t == 6 else None for t in range(7)]
    objs = run(Propagator(200, 100, window=6, hold=6), frames, cameras=[np.eye(3)] * 7)
    for t in range(1, 6):
        m = paint(objs[t], (100, 200))
        assert m[40:60, 50:70].all() and m[20:60, 44:80].all(), t
        assert not m[:, 100:].any(), t  # and nothing far from either


def test_a_moved_sighting_grows_by_at_most_twice_its_size():
    """Two sightings two frames apart whose boxes differ by 12 px give the track an own speed of 6 px a
    frame; ten frames before it was first seen, its mask would grow by 60 px: it grows by at most
    ``GROWTH_CAP`` × its size (40 px for 20 px), and still holds where it was seen."""
    from service.core.tracking import GROWTH_CAP

    frames = [[det(100)] if t == 10 else [det(112)] if t == 12 else None for t in range(16)]
    out = run(Propagator(300, 100, window=12, hold=12), frames)
    m = paint(out[0], (100, 300))
    xs = np.nonzero(m)[1]
    assert m[20:40, 100:120].all()
    assert xs.max() + 1 - xs.min() <= 20 + 2 * GROWTH_CAP * 20 + 2


def test_at_a_sighted_frame_a_large_objects_neighbours_grow_by_half(monkeypatch):
    """An object moving 2 px a frame on its own, sighted every 5th frame: at a sighted frame its
    neighbouring sightings, moved there, grow by its own motion over 5 frames (10 px) to complete its
    shape; for an object of ``SIGHTED_LARGE`` px or more by ``SIGHTED_SHARE`` of that, since the sighting
    holds it; a small one keeps the whole growth."""
    from service.core import tracking

    def reach(size, share):
        monkeypatch.setattr(tracking, "SIGHTED_SHARE", share)
        frames = [[det(60 + 2 * t, y=30, size=size)] if t % 5 == 0 else None for t in range(16)]
        m = paint(run(Propagator(400, 200, window=5, hold=5), frames)[5], (200, 400))
        assert m[30:30 + size, 70:70 + size].all()  # the sighting itself
        return 70 - int(np.nonzero(m.any(axis=0))[0].min())  # px masked left of it

    large, share = max(tracking.SIGHTED_LARGE, 100), tracking.SIGHTED_SHARE
    assert reach(large, 1.0) - reach(large, share) >= 4
    assert reach(40, 1.0) == reach(40, share)


def test_a_new_track_followed_back_is_masked_where_it_was_before_its_first_sighting():
    """A 100-px object walks in a curve and is first detected at frame 20 (stride 10: frame 10 missed
    it). Followed back from there, its mask in the frames before sits on it and grows by the follow
    growth only; not followed back, it is the cone of where it might have been."""
    def where(t):
        return 60 + 3 * t, 40 + 4 * min(t, 15 - t) if t <= 15 else 40

    frames = [[det(*where(t), size=100)] if t == 20 else ([] if t % 10 == 0 else None) for t in range(31)]

    def back(t, boxes):  # the object's own move from frame t into t - 1, measured on its box
        (x0, y0), (x1, y1) = where(t - 1), where(t)
        assert all(abs(b[0] - x1) < 2 and abs(b[1] - y1) < 2 for b in boxes), (t, boxes)
        return [np.array([[1.0, 0, x0 - x1], [0, 1.0, y0 - y1], [0, 0, 1.0]]) for _ in boxes]

    out = {}
    prop = for_stride(400, 300, 10, 6, 6)
    for t, dets in enumerate(frames):
        for ft, _, objs in prop.push(t, None, dets, back=back):
            out[ft] = objs
    out.update({ft: objs for ft, _, objs in prop.flush()})
    for t in range(10, 20):  # the hold before the first sighting (two strides; frame 0 is final)
        x, y = where(t)
        m = paint(out[t], (300, 400))
        assert m[y:y + 100, x:x + 100].all(), t
        assert m.sum() <= (100 + 2 * 2 * (20 - t)) ** 2, (t, m.sum())  # 2 % of its size a frame
    coned = run(for_stride(400, 300, 10, 6, 6), frames)
    assert paint(coned[12], (300, 400)).sum() > 1.5 * paint(out[12], (300, 400)).sum()


def test_following_back_stops_where_a_step_fails_and_small_objects_keep_their_cone():
    """A step that cannot be followed ends the way back: the frames before it get the cone, as without
    following. An object under ``BACK_LARGE`` px, or one the frame's edge cuts (entering), is not
    followed back at all."""
    asked = []

    def back(t, boxes):
        asked.append(t)
        return [np.eye(3) if t > 16 else None for _ in boxes]

    for x, size, expected in ((100, 100, [20, 19, 18, 17, 16]), (100, 40, []), (300, 100, [])):
        frames = [[det(x, 50, size)] if t == 20 else ([] if t % 10 == 0 else None) for t in range(31)]
        prop = for_stride(400, 300, 10, 6, 6)
        out = {}
        for t, dets in enumerate(frames):
            for ft, _, objs in prop.push(t, None, dets, back=back):
                out[ft] = objs
        out.update({ft: objs for ft, _, objs in prop.flush()})
        assert asked == expected, (x, size)
        asked.clear()
        if expected:
            assert paint(out[17], (300, 400)).sum() < paint(out[14], (300, 400)).sum()
