"""eventstudy.inference.random_streams: the stream against SplitMix64's published outputs, the keys of many seeds
against a fold in Python integers, the bounded integers by Lemire's rule and for uniformity, both layouts of the
draws, and the kernel against its own Python source."""

from __future__ import annotations

import numpy as np
from scipy import stats

from eventstudy.inference.random_streams import stream_key, stream_keys, uniform_integers

# SplitMix64 from the state 1234567: its first five outputs as published with the generator's reference code
# (Vigna's splitmix64.c, as listed e.g. on Rosetta Code's "Pseudo-random numbers/Splitmix64").
PUBLISHED = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431,
             16408922859458223821]  # fmt: skip


def draws(key: int, high: int, shape: tuple[int, int]) -> np.ndarray:
    out = np.empty((1, *shape), dtype=np.int64)
    uniform_integers(np.array([key], dtype=np.uint64), np.array([high]), np.array([shape[1]]), out)
    return out[0]


def test_stream_is_splitmix64():
    # high = 2³²: no rejection, the draws are the 32-bit halves of the outputs, upper then lower, in order
    words = [h for z in PUBLISHED for h in (z >> 32, z & 0xFFFFFFFF)]
    assert draws(1234567, 2**32, (2, 5)).ravel().tolist() == words
    # Lemire's multiply-shift on the same words (none is rejected: each product's low word is past 2³² mod 230)
    assert all((w * 230) % 2**32 >= 2**32 % 230 for w in words)
    assert draws(1234567, 230, (5, 2)).ravel().tolist() == [(w * 230) >> 32 for w in words]
    # the key of one word w is the first output of the stream from w: mix(w + γ)
    assert stream_key(1234567) == PUBLISHED[0]
    assert stream_key((0, 1)) != stream_key((1, 0)) != stream_key(1) and stream_key(4, 2) != stream_key(4)


def test_keys_of_many_seeds_at_once_equal_each_seeds_own():
    """Seeds folded column by column (equal lengths) and one at a time (ragged, negative, past 2⁶⁴: the words are
    taken modulo 2⁶⁴) give each seed the key of its own fold."""
    mask, gamma = 2**64 - 1, 0x9E3779B97F4A7C15

    def mix(x):  # the mix of x: SplitMix64's first output from the state x − γ
        words = splitmix64_words((x - gamma) & mask)
        return next(words) << 32 | next(words)

    def fold(words):  # h ← mix(h XOR w + γ) from h = 0, in Python integers
        h = 0
        for w in words:
            h = mix(((h ^ (w & mask)) + gamma) & mask)
        return h

    seeds = [(0, k, 99_990, 100_010) for k in range(7)]
    assert stream_keys(seeds, 2).tolist() == [fold([*s, 2]) for s in seeds]
    odd = [(1, 2), 3, (-1, 4), 2**70]
    assert stream_keys(odd).tolist() == [fold(np.atleast_1d(s).tolist()) for s in odd] == [stream_key(s) for s in odd]
    assert stream_keys([]).shape == (0,)


def splitmix64_words(state: int):
    """SplitMix64 by its definition, in Python integers: the 32-bit halves of each output, upper first."""
    mask = 2**64 - 1
    while True:
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        yield z >> 32
        yield z & 0xFFFFFFFF


def test_bounded_integers_reject_by_lemires_rule():
    """A range where a quarter of the words are rejected: each draw takes words until the product's low half is at
    least 2³² mod n (Lemire 2019, algorithm 5), and returns the product's high half."""
    assert next(splitmix64_words(1234567)) == PUBLISHED[0] >> 32
    rejected = {}
    for high in (3 * 2**30 + 1, 7):
        words, want, rejected[high] = splitmix64_words(99), [], 0
        for _ in range(300):
            while ((w := next(words)) * high) % 2**32 < 2**32 % high:
                rejected[high] += 1
            want.append((w * high) >> 32)
        assert draws(99, high, (100, 3)).ravel().tolist() == want
    assert rejected[3 * 2**30 + 1] > 50


def test_bounded_integers_are_uniform():
    for high in (2, 3, 30, 230, 1000):
        got = draws(stream_key(high), high, (999, 30)).ravel()
        assert got.min() == 0 and got.max() == high - 1
        assert stats.chisquare(np.bincount(got, minlength=high)).pvalue > 1e-4, high
    assert (draws(7, 1, (10, 3)) == 0).all()


def test_streams_per_row():
    keys = np.array([stream_key(0), stream_key(1)], dtype=np.uint64)
    out = np.full((2, 4, 3), -1, dtype=np.int64)
    uniform_integers(keys, np.array([50, 9]), np.array([3, 2]), out)
    np.testing.assert_array_equal(out[0], draws(int(keys[0]), 50, (4, 3)))
    np.testing.assert_array_equal(out[1, :, :2], draws(int(keys[1]), 9, (4, 2)))  # draw by draw, 2 a draw
    assert (out[1, :, 2] == -1).all()  # past the row's count: untouched
    by_value = np.full((2, 3, 4), -1, dtype=np.int64)  # each value's draws side by side: the same integers
    uniform_integers(keys, np.array([50, 9]), np.array([3, 2]), by_value, True)
    np.testing.assert_array_equal(by_value.transpose(0, 2, 1), out)
    high = 3 * 2**30 + 1  # a word in four rejected: every stream made again word by word, in either layout
    wide, tall = np.empty((2, 5, 3), dtype=np.int64), np.empty((2, 3, 5), dtype=np.int64)
    uniform_integers(keys, np.array([high, high]), np.array([3, 3]), wide)
    uniform_integers(keys, np.array([high, high]), np.array([3, 3]), tall, True)
    np.testing.assert_array_equal(tall.transpose(0, 2, 1), wide)
    np.testing.assert_array_equal(wide[0], draws(int(keys[0]), high, (5, 3)))


def test_kernel_matches_its_python_source():
    keys, high, counts = np.array([stream_key(3)], dtype=np.uint64), np.array([17]), np.array([4])
    for by_value in (False, True):
        shape = (1, 4, 5) if by_value else (1, 5, 4)
        got, want = np.empty(shape, dtype=np.int64), np.empty(shape, dtype=np.int64)
        uniform_integers(keys, high, counts, got, by_value)
        with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as compiled
            uniform_integers.py_func(keys, high, counts, want, by_value)
        np.testing.assert_array_equal(got, want)
