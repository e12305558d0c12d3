"""A relevance ranking ordered only as far as a page needs (indexer.paging.Ranking) gives
the pages and the order a full sort by (-score, docnum) gives: Whoosh's collector's."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.paging import Ranking


def _full_order(docnums: np.ndarray, scores: np.ndarray, matching: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    keep = matching[docnums]
    docnums, scores = docnums[keep], scores[keep]
    order = np.lexsort((docnums, -scores))
    return docnums[order], scores[order]


@pytest.mark.parametrize("seed", range(12))
def test_every_page_is_the_full_sorts_slice(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 3000))
    docnums = np.flatnonzero(rng.random(size) < rng.random())
    # Few distinct scores: many ties, which must fall by docnum as in the full sort.
    scores = rng.integers(0, int(rng.integers(1, 12)), len(docnums)).astype(np.float64) / 7
    matching = rng.random(size) < 0.8
    expected_docnums, expected_scores = _full_order(docnums, scores, matching)
    ranking = Ranking(docnums, scores)
    for stop in (0, 1, 10, 11, 37, len(expected_docnums) - 1, len(expected_docnums),
                 len(expected_docnums) + 5):
        if stop < 0:
            continue
        got_docnums, got_scores = ranking.best(matching, stop)
        assert got_docnums.tolist() == expected_docnums[:stop].tolist(), stop
        assert got_scores.tolist() == expected_scores[:stop].tolist(), stop
    all_docnums, all_scores = ranking.ordered(matching)
    assert all_docnums.tolist() == expected_docnums.tolist()
    assert all_scores.tolist() == expected_scores.tolist()


def test_a_ranking_already_in_order_is_kept_as_it_came() -> None:
    # Whoosh's collector's ranking is best first already; it is sliced, never re-sorted.
    docnums = np.array([7, 2, 9, 4])
    scores = np.array([3.0, 2.0, 2.0, 1.0])
    ranking = Ranking(docnums, scores, in_order=True)
    matching = np.ones(10, dtype=bool)
    matching[9] = False
    assert ranking.best(matching, 2)[0].tolist() == [7, 2]
    assert ranking.ordered(matching)[0].tolist() == [7, 2, 4]
