"""A LayeredMap (what a thread tree's successor copies instead of 100k-entry dicts) acts
as a dict after any sequence of sets, deletes, pops and copies, compactions included,
and a copy never changes the map it came from (the tree shown while its successor is
built)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tuimail.core import layered_map
from tuimail.core.layered_map import LayeredMap

keys = st.integers(0, 12)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("set"), keys, st.integers()),
        st.tuples(st.just("del"), keys, st.just(0)),
        st.tuples(st.just("pop"), keys, st.just(0)),
        st.tuples(st.just("copy"), st.just(0), st.just(0)),
    ),
    max_size=40,
)


def same(layered: LayeredMap, model: dict) -> None:
    assert dict(layered.items()) == model
    assert len(layered) == len(model)
    assert sorted(layered) == sorted(model)
    for key in range(14):
        assert (key in layered) == (key in model)
        assert layered.get(key, "none") == model.get(key, "none")
    probe = {0, 3, 7, 13}
    assert layered.keys_not_in(probe) == model.keys() - probe
    assert layered.missing(probe) == probe - model.keys()


@settings(max_examples=150, deadline=None)
@given(base=st.dictionaries(keys, st.integers(), max_size=8), steps=ops)
def test_a_layered_map_acts_as_a_dict_and_its_copies_are_independent(base, steps) -> None:
    layered_map.COMPACT_MIN = 3  # compact often (restored below)
    try:
        layered, model = LayeredMap(dict(base)), dict(base)
        earlier: list[tuple[LayeredMap, dict]] = []
        for op, key, value in steps:
            if op == "set":
                layered[key], model[key] = value, value
            elif op in ("del", "pop"):
                if key in model:
                    got = layered.pop(key) if op == "pop" else layered.__delitem__(key)
                    expected = model.pop(key)
                    assert op == "del" or got == expected
                else:
                    assert layered.pop(key, "absent") == "absent"
            else:
                earlier.append((layered, dict(model)))
                layered = layered.copy()
            same(layered, model)
        for old, then in earlier:  # every map copied from is as it was then
            same(old, then)
    finally:
        layered_map.COMPACT_MIN = 4_096
