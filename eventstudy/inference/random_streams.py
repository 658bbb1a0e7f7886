"""The random draws of the resampling tests (:mod:`eventstudy.inference.resampling`): one SplitMix64 stream per
pseudo-study or event, keyed by its seed words (:func:`stream_keys`), and bounded uniform integers drawn from it in
bulk (:func:`uniform_integers`). A seed reproduces a run on any machine: the integers depend on the seed words
alone, not on the chunking, the process or the CPU."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model.jit import compiled

# One SplitMix64 stream per pseudo-study (Steele, Lea & Flood 2014, "Fast splittable
# pseudorandom number generators", OOPSLA '14: a 64-bit counter stepped by the golden gamma, each step's value
# scrambled by a bijective mix; it passes TestU01's BigCrush). Integers in [0, n) by Lemire's (2019, ACM TOMACS 29,
# "Fast random integer generation in an interval") multiply-and-reject on the upper 32 bits: exactly uniform.

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_MIX1, _MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output mix of each ``uint64`` (numpy's unsigned arithmetic wraps modulo 2⁶⁴)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    return z ^ (z >> np.uint64(31))


def _seed_words(seed: object) -> list[int]:
    return [int(w) & _MASK for w in np.atleast_1d(np.asarray(seed, dtype=object)).tolist()]


def stream_keys(seeds: Sequence[object], *tags: int) -> np.ndarray:
    """The 64-bit starting state (``uint64``) of the stream of each of ``seeds`` (an integer or a sequence of
    integers, such as a pseudo-study's ``(seed, key, window)``) and ``tags`` (which tell apart the streams of
    different tests): the words folded in order through SplitMix64's mix, ``h ← mix(h XOR w + γ)`` from ``h = 0``.
    Seeds of as many non-negative words are folded together, column by column."""
    try:
        words = np.array(seeds, dtype=np.uint64).reshape(len(seeds), -1)
    except (OverflowError, TypeError, ValueError):  # negative or ragged: one seed at a time
        return np.array([stream_keys([_seed_words(seed)], *tags)[0] for seed in seeds], dtype=np.uint64)
    h = np.zeros(len(seeds), dtype=np.uint64)
    for w in [*words.T, *(np.full(len(seeds), int(t) & _MASK, dtype=np.uint64) for t in tags)]:
        h = _mix64((h ^ w) + np.uint64(_GAMMA))
    return h


def stream_key(seed: object, *tags: int) -> int:
    """:func:`stream_keys` of one seed, as a Python integer."""
    return int(stream_keys([_seed_words(seed)], *tags)[0])


@compiled
def uniform_integers(keys, high, counts, out, by_value=False):
    """Per stream ``j``: ``out[j, b, :counts[j]]`` (in that order, draw by draw) independent uniform integers in
    ``[0, high[j])``, ``high[j] ≤ 2³²``, from the SplitMix64 stream starting at ``keys[j]`` (``uint64``;
    :func:`stream_key`): each output gives two 32-bit words, its upper then its lower half. ``by_value``: ``out``
    is laid out ``(streams, values, draws)`` instead — the same integers, ``out[j, i, b]``, each value's draws side
    by side.

    SplitMix64's ``o``-th output is the mix of ``keys[j] + (o + 1) γ`` alone, so the words are made side by side
    (vector instructions): draw by draw two words a mix, by value one (word ``k = b · counts[j] + i`` is a half of
    output ``⌊k/2⌋``), on the assumption that none is rejected; a stream where one is (probability below
    ``high / 2³²`` a word: about one stream in a million of the placebo's) is made again word by word, so the
    integers are always those of the sequential definition."""
    gamma, mix1, mix2 = np.uint64(_GAMMA), np.uint64(_MIX1), np.uint64(_MIX2)
    s27, s30, s31, s32 = np.uint64(27), np.uint64(30), np.uint64(31), np.uint64(32)
    one, low32 = np.uint64(1), np.uint64(0xFFFFFFFF)
    draws = out.shape[2] if by_value else out.shape[1]
    most = 0
    for j in range(keys.shape[0]):
        most = max(most, draws * counts[j])
    words = np.empty(0 if by_value else most + 1, dtype=np.uint64)
    for j in range(keys.shape[0]):
        n = np.uint64(high[j])
        # 2³² mod n: the lowest products to reject so that every value in [0, n) has the same number of words.
        reject = (one << s32) % n
        count = counts[j]
        key = keys[j]
        rejected = 0
        if by_value:
            for i in range(count):
                row = out[j, i]
                for b in range(draws):
                    k = np.uint64(b) * np.uint64(count) + np.uint64(i)
                    z = key + ((k >> one) + one) * gamma
                    z = (z ^ (z >> s30)) * mix1
                    z = (z ^ (z >> s27)) * mix2
                    z = z ^ (z >> s31)
                    product = ((z >> ((one - (k & one)) * s32)) & low32) * n  # the upper half for an even k
                    rejected += (product & low32) < reject
                    row[b] = product >> s32
        else:
            for o in range((draws * count + 1) // 2):  # output o: the words 2o (upper half) and 2o + 1 (lower)
                z = key + np.uint64(o + 1) * gamma
                z = (z ^ (z >> s30)) * mix1
                z = (z ^ (z >> s27)) * mix2
                z = z ^ (z >> s31)
                upper = (z >> s32) * n
                lower = (z & low32) * n
                rejected += ((upper & low32) < reject) + ((lower & low32) < reject)  # (an unused last word too)
                words[2 * o] = upper >> s32
                words[2 * o + 1] = lower >> s32
            if rejected == 0:
                for b in range(draws):
                    for i in range(count):
                        out[j, b, i] = words[b * count + i]
        if rejected == 0:
            continue
        state = key
        z = np.uint64(0)
        spare = False  # the lower half of the last output is still to be used
        for b in range(draws):
            for i in range(count):
                while True:
                    if spare:
                        word = z & low32
                    else:
                        state += gamma
                        z = state
                        z = (z ^ (z >> s30)) * mix1
                        z = (z ^ (z >> s27)) * mix2
                        z = z ^ (z >> s31)
                        word = z >> s32
                    spare = not spare
                    product = word * n
                    if (product & low32) >= reject:
                        break
                if by_value:
                    out[j, i, b] = product >> s32
                else:
                    out[j, b, i] = product >> s32
