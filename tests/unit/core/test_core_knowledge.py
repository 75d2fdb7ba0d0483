"""Search queries: every word a prefix, and nothing a person types is FTS5 syntax."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core.knowledge import SEARCH_WORDS_MAX, KnowledgeError, fts_query, search_words


def test_each_word_is_quoted_and_matches_as_a_prefix() -> None:
    assert fts_query("Badg printer") == '"badg"* "printer"*'


def test_a_single_letter_is_a_whole_word_only() -> None:
    assert fts_query("t") == '"t"'
    assert fts_query("b 12") == '"b" "12"*'


def test_operators_and_punctuation_are_only_separators() -> None:
    assert search_words('badge" OR NEAR(x) -printer*') == ["badge", "or", "near", "x", "printer"]
    assert search_words("café Zürich 15:00") == ["café", "zürich", "15", "00"]


@pytest.mark.parametrize("text", ["", "   ", "*** ::", '"'])
def test_a_search_without_words_is_refused(text: str) -> None:
    with pytest.raises(KnowledgeError, match="at least one word"):
        fts_query(text)


def test_a_search_with_too_many_words_is_refused() -> None:
    fts_query(" ".join(["w"] * SEARCH_WORDS_MAX))
    with pytest.raises(KnowledgeError, match="at most"):
        fts_query(" ".join(["w"] * (SEARCH_WORDS_MAX + 1)))


@given(st.text(max_size=200))
def test_whatever_is_typed_is_a_valid_match_expression(text: str) -> None:
    try:
        query = fts_query(text)
    except KnowledgeError:
        return
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5 (x)")
        conn.execute("INSERT INTO t VALUES ('the badge printer')")
        conn.execute("SELECT * FROM t WHERE t MATCH ?", (query,)).fetchall()
