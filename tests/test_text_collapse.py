"""Versions of one text folded into one result (indexer/events/collapse.py, TextCollapse),
on the crawled fixture sites: their language versions and the Serbian ministry's two site
generations."""

from __future__ import annotations

import numpy as np
from flask import Flask

from indexer.search import SearchRequest, SearchService


def _setup(app: Flask, request: SearchRequest):
    service: SearchService = app.extensions["search"]
    current = service.generations.current()
    assert current is not None
    generation, searcher = current
    request = request.validated()
    return service.texts, generation, request, service._match(request, generation, searcher)


def _one_per_group(kept: np.ndarray, matching: np.ndarray, group: np.ndarray) -> None:
    """Every text with a matching version shows exactly one; ungrouped matches all stay."""
    assert not (kept & ~matching).any()
    grouped = group >= 0
    assert (kept[~grouped] == matching[~grouped]).all()
    for g in np.unique(group[matching & grouped]):
        assert int((kept & (group == g)).sum()) == 1, g


def test_the_version_tables_are_read_once_per_generation(crawled_app: Flask) -> None:
    texts, generation, _, _ = _setup(crawled_app, SearchRequest())
    tables = texts.tables(generation)
    assert texts.tables(generation) is tables and generation.versions is tables
    assert tables.grouped.sum() > len(np.unique(tables.group[tables.grouped]))  # versions


def test_without_collapse_every_version_is_a_result(crawled_app: Flask) -> None:
    texts, generation, request, matches = _setup(crawled_app, SearchRequest(collapse=False))
    assert texts.groups(request, generation) is None
    assert (texts.collapsed(request, generation, matches) == matches.matching).all()


def test_browsing_shows_one_version_per_text(crawled_app: Flask) -> None:
    texts, generation, request, matches = _setup(crawled_app, SearchRequest(sort="newest"))
    group = texts.groups(request, generation)
    assert group is not None and (group == texts.tables(generation).group).all()
    kept = texts.collapsed(request, generation, matches)
    _one_per_group(kept, matches.matching, group)
    assert kept.sum() < matches.matching.sum()
    # Unranked, a text shows its lead (rank 0) when the lead matches.
    rank = texts.tables(generation).rank
    assert (rank[kept & (group >= 0)] == 0).all()


def test_a_ranked_search_shows_each_texts_best_ranked_version(crawled_app: Flask) -> None:
    texts, generation, request, matches = _setup(crawled_app, SearchRequest(q="minister"))
    assert matches.ranking is not None
    group = texts.groups(request, generation)
    assert group is not None
    kept = texts.collapsed(request, generation, matches)
    _one_per_group(kept, matches.matching, group)
    seen: set[int] = set()
    ranking = matches.ranking
    best_first = ranking.docnums[np.lexsort((ranking.docnums, -ranking.scores))]
    for docnum in best_first.tolist():
        if not matches.matching[docnum] or group[docnum] < 0 or group[docnum] in seen:
            continue
        seen.add(int(group[docnum]))
        assert kept[docnum], docnum  # the first of its text in the ranking is the one shown
    assert seen


def test_asking_for_languages_keeps_each_languages_version(crawled_app: Flask) -> None:
    request = SearchRequest(filters={"language": ("en", "sr-Latn", "sr-Cyrl", "ru")})
    texts, generation, request, matches = _setup(crawled_app, request)
    group = texts.groups(request, generation)
    tables = texts.tables(generation)
    languages = generation.tables.values_of("language")
    assert group is not None and (group == tables.by_language(languages)).all()
    kept = texts.collapsed(request, generation, matches)
    _one_per_group(kept, matches.matching, group)
    # Split by language, more versions stay than when texts fold across languages.
    folded = texts.collapsed(SearchRequest().validated(), generation, matches)
    assert kept.sum() > folded.sum()


def test_facet_counts_count_texts_as_a_brute_force_count_does(crawled_app: Flask) -> None:
    """A value's count is the number of texts (a version group, or an ungrouped
    communiqué) among the matches holding it: every facet, single and multi-valued."""
    from indexer.facets import FACETS

    for request in (SearchRequest(), SearchRequest(q="minister"),
                    SearchRequest(filters={"language": ("en",)})):
        texts, generation, request, matches = _setup(crawled_app, request)
        group = texts.groups(request, generation)
        assert group is not None and (group >= 0).any()
        tables = generation.tables
        mask = matches.matching
        # All facets at once (the single-valued ones counted together), with and without
        # groups, as each counted alone is checked below.
        together = tables.count_many([spec.name for spec in FACETS], mask, group)
        plain_together = tables.count_many([spec.name for spec in FACETS], mask)
        for spec in FACETS:
            facet = tables._facets[spec.name]
            if spec.multi:
                pairs = zip(facet.docs.tolist(), facet.values.tolist(), strict=True)
            else:
                pairs = ((d, v) for d, v in enumerate(facet.values.tolist()) if v >= 0)
            texts_per_value: dict[str, set] = {}
            for docnum, value in pairs:
                if mask[docnum]:
                    text = ("group", int(group[docnum])) if group[docnum] >= 0 \
                        else ("communique", docnum)
                    texts_per_value.setdefault(facet.terms[value], set()).add(text)
            expected = {value: len(found) for value, found in texts_per_value.items()}
            assert tables.count(spec.name, mask, group) == expected, spec.name
            assert together[spec.name] == expected, spec.name
            # Without groups every communiqué counts.
            plain = {value: sum(1 for d, v in
                                (zip(facet.docs.tolist(), facet.values.tolist(), strict=True)
                                 if spec.multi else enumerate(facet.values.tolist()))
                                if v == facet.index[value] and mask[d])
                     for value in expected}
            assert tables.count(spec.name, mask) == plain, spec.name
            assert plain_together[spec.name] == plain, spec.name
