"""The scoreboard alone: exact comparison, clear failure reports, the empty-queue check."""

from hadam_hw.manifest import FieldSpec, StreamSpec
from sim.scoreboard import Expected, Scoreboard


def _sb(**kw):
    y = StreamSpec("y", "y_valid", "y_ready", "y_payload", 25, {
        "data": FieldSpec("data", 0, 24, 3, 8, True),
        "last": FieldSpec("last", 24, 1),
    })
    return y, Scoreboard({"y": y}, {"y": 2}, waves="/w/top.fst", **kw)


def test_match_counts_steps_and_ignores_unknown_bits():
    y, sb = _sb()
    sb.expect(Expected("y", 0, 5, y.pack(data=[1, -2, 3], last=1), in_cycle=10, covers=6, timing=True))
    assert sb.check("y", y.pack(data=[1, -2, 3], last=1), cycle=12)
    assert sb.steps_checked == 6 and sb.checked["y"] == 1
    assert sb.finish()


def test_mismatch_names_step_lane_values_cycle_and_waveform():
    y, sb = _sb()
    sb.expect(Expected("y", 3, 17, y.pack(data=[1, -2, 3], last=0), in_cycle=10))
    assert not sb.check("y", y.pack(data=[1, -5, 4], last=0), cycle=40)
    f = sb.failures[0]
    assert (f.kind, f.row, f.step, f.lane, f.expected, f.got, f.cycle) == ("mismatch", 3, 17, 1, -2, -5, 40)
    assert "row 3 step 17, lane 1: expected -2, got -5" in f.message
    assert "cycle 40" in f.message and "/w/top.fst" in f.message


def test_wrong_last_flag_is_reported_as_such():
    y, sb = _sb()
    sb.expect(Expected("y", 0, 0, y.pack(data=[0, 0, 0], last=1), in_cycle=0))
    sb.check("y", y.pack(data=[0, 0, 0], last=0), cycle=3)
    assert sb.failures[0].field == "last"


def test_extra_output_and_missing_output():
    y, sb = _sb()
    assert not sb.check("y", 0, cycle=1)
    assert sb.failures[0].kind == "unexpected"
    sb.expect(Expected("y", 1, 2, 0, in_cycle=4))
    assert not sb.finish(cycle=99)
    assert sb.failures[-1].kind == "missing" and "row 1 step 2" in sb.failures[-1].message


def test_latency_exact_under_timing_and_lower_bound_otherwise():
    y, sb = _sb()
    sb.expect(Expected("y", 0, 0, 0, in_cycle=10, timing=True))
    assert not sb.check("y", 0, cycle=13)  # 3 cycles, manifest says 2
    sb.expect(Expected("y", 0, 1, 0, in_cycle=10, timing=False))
    assert sb.check("y", 0, cycle=30)  # stalled: later is fine
    sb.expect(Expected("y", 0, 2, 0, in_cycle=10, timing=False))
    assert not sb.check("y", 0, cycle=11)  # sooner than possible
    assert [f.kind for f in sb.failures] == ["latency", "latency"]


def test_reset_discards_in_flight():
    y, sb = _sb()
    sb.expect(Expected("y", 0, 0, 0, in_cycle=1))
    assert sb.flush() == 1 and sb.finish()


def _sb_ids():
    y = StreamSpec("y", "y_valid", "y_ready", "y_payload", 27, {
        "data": FieldSpec("data", 0, 24, 3, 8, True),
        "last": FieldSpec("last", 24, 1),
        "id": FieldSpec("id", 25, 2),
    })
    return y, Scoreboard({"y": y}, {"y": 2})


def test_interleaved_outputs_are_compared_per_sequence():
    """SPEC §4.1: only each sequence's own order counts; the id picks the queue."""
    y, sb = _sb_ids()
    sb.expect(Expected("y", 0, 0, y.pack(data=[1, 2, 3], last=0, id=0), in_cycle=1, covers=1, ident=0))
    sb.expect(Expected("y", 1, 0, y.pack(data=[4, 5, 6], last=0, id=1), in_cycle=2, covers=1, ident=1))
    sb.expect(Expected("y", 0, 1, y.pack(data=[7, 8, 9], last=1, id=0), in_cycle=3, covers=1, ident=0))
    assert sb.check("y", y.pack(data=[4, 5, 6], last=0, id=1), cycle=10)
    assert sb.check("y", y.pack(data=[1, 2, 3], last=0, id=0), cycle=11)
    assert sb.pending() == 1 and not sb.finish(12)
    assert sb.failures[0].kind == "missing" and "row 0 step 1" in sb.failures[0].message
    # a sequence whose queue is empty: an extra output, named with its sequence
    y, sb = _sb_ids()
    sb.expect(Expected("y", 0, 0, y.pack(data=[1, 2, 3], last=0, id=0), in_cycle=1, ident=0))
    assert not sb.check("y", y.pack(data=[1, 2, 3], last=0, id=2), cycle=5)
    assert sb.failures[0].kind == "unexpected" and "of sequence 2" in sb.failures[0].message
    # the right values under the wrong id are a mismatch of that sequence's own next output
    y, sb = _sb_ids()
    sb.expect(Expected("y", 0, 0, y.pack(data=[1, 2, 3], last=0, id=0), in_cycle=1, ident=0))
    sb.expect(Expected("y", 1, 0, y.pack(data=[4, 5, 6], last=0, id=1), in_cycle=1, ident=1))
    assert not sb.check("y", y.pack(data=[1, 2, 3], last=0, id=1), cycle=5)
    assert sb.failures[0].kind == "mismatch" and sb.failures[0].row == 1
