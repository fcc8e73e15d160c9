import pytest

from app.domain.tags import MAX_TAGS, normalize_tag, normalize_tags


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" Home ", "home"), ("#Work", "work"), ("q4-2026", "q4-2026"), ("a.b:c/d_e", "a.b:c/d_e")],
)
def test_tags_are_trimmed_and_lower_cased(raw: str, expected: str) -> None:
    assert normalize_tag(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "cannot be empty"),
        ("   ", "cannot be empty"),
        ("#", "cannot be empty"),
        ("two words", "must start with a letter or digit"),
        ("!x", "must start with a letter or digit"),
        ("x" * 51, "at most 50 characters"),
    ],
)
def test_malformed_tags_are_refused_with_a_reason(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_tag(raw)


def test_duplicates_collapse_keeping_first_order() -> None:
    assert normalize_tags(["Home", "work", "HOME", " work "]) == ["home", "work"]


def test_more_than_fifty_distinct_tags_are_refused() -> None:
    assert len(normalize_tags([f"t{i}" for i in range(MAX_TAGS)])) == MAX_TAGS
    with pytest.raises(ValueError, match="at most 50 tags"):
        normalize_tags([f"t{i}" for i in range(MAX_TAGS + 1)])
