"""The rule set file: the shipped one is complete and cited; a broken one names its key."""

from __future__ import annotations

import hashlib
import json
import string
from pathlib import Path

import pytest

from pushin_rules.decide.engine import recommend
from pushin_rules.decide.rules import (
    WORDING_FIELDS,
    RuleSet,
    load_rules,
    parse_rules,
    shipped_rules_path,
)
from pushin_rules.errors import RulesError
from pushin_rules.models import FACTORS, IMPLEMENTATION_FACTORS, NEED_FACTORS, Service

SEED_TITLES = {
    "Push-In Support vs Inclusion Classroom in Education",
    "Push-in vs. Pull-out Services",
    'Why "Pushing In" Benefits All Learners',
    "What is Push-in vs Pull-out Therapy?",
}


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="module")
def text() -> str:
    return shipped_rules_path().read_text(encoding="utf-8")


def test_shipped_rules_cover_exactly_the_factor_columns(rules: RuleSet) -> None:
    assert set(rules.keys) == set(FACTORS)
    assert len(rules.keys) == len(FACTORS)
    assert {f.key for f in rules.implementation_factors} == set(IMPLEMENTATION_FACTORS)
    assert {f.key for f in rules.need_factors} == set(NEED_FACTORS)


def test_every_factor_is_explained_and_cited(rules: RuleSet) -> None:
    titles = {s.title for s in rules.sources}
    assert titles >= SEED_TITLES
    for factor in rules.factors:
        assert factor.label and factor.question.endswith("?")
        assert sorted(factor.meanings) == [0, 1, 2, 3]
        assert all(text.strip() for text in factor.meanings.values())
        assert factor.sources and set(factor.sources) <= titles
        if factor.is_need:
            assert factor.weight > 0 and factor.because
        else:
            assert factor.weight == 0 and factor.notes
    # Every need factor cites at least one of the four source documents.
    for factor in rules.need_factors:
        assert set(factor.sources) & SEED_TITLES, factor.key


def test_the_legal_sources_are_cited_where_they_apply(rules: RuleSet) -> None:
    for factor in rules.implementation_factors:
        assert "IDEA, 34 CFR 300.116 commentary (placement not based on staffing)" in (
            factor.sources
        )
    assert "ASHA, service delivery (setting, dosage, format, provider)" in (
        rules.factor("intensity").sources
    )
    assert "300.114" in rules.wording.rule_presumption_none


def test_terms_define_the_three_models(rules: RuleSet) -> None:
    assert set(rules.terms) == {"push_in", "pull_out", "hybrid"}
    assert rules.label("push_in") == "push-in"
    assert "classroom" in rules.terms["push_in"].definition


def test_file_hash_is_the_sha256_of_the_file_bytes(rules: RuleSet) -> None:
    digest = hashlib.sha256(shipped_rules_path().read_bytes()).hexdigest()
    assert rules.file_hash == digest
    assert rules.name and rules.version


def test_a_district_copy_loads_with_the_same_content(tmp_path: Path, text: str) -> None:
    copy = tmp_path / "district_rules.toml"
    copy.write_text(text, encoding="utf-8")
    loaded = load_rules(copy)
    assert loaded.file_hash == load_rules().file_hash
    assert loaded.source.endswith("district_rules.toml")


def test_progress_table_is_validated_by_the_progress_settings(rules: RuleSet) -> None:
    assert rules.progress.min_points == 6
    assert rules.progress_settings() is rules.progress


def test_rule_set_is_json_serialisable(rules: RuleSet) -> None:
    data = json.loads(json.dumps(rules.model_dump(mode="json")))
    assert data["name"] == rules.name
    assert RuleSet.model_validate(data, strict=False).canonical_hash() == rules.canonical_hash()


def test_wording_templates_only_use_known_placeholders(rules: RuleSet) -> None:
    for name, allowed in WORDING_FIELDS.items():
        used = {f for _, f, _, _ in string.Formatter().parse(getattr(rules.wording, name)) if f}
        assert used <= allowed, name


# ----------------------------------------------------------------------- broken rule files


def _swap(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


BROKEN = [
    pytest.param(
        lambda t: _swap(t, "weight = 1.5", 'weight = "high"'),
        ["factors.intensity.weight", "'high'", "number"],
        id="weight-not-a-number",
    ),
    pytest.param(
        lambda t: _swap(
            t, 'direction = "pull_out"\nweight = 1.5', 'direction = "out"\nweight = 1.5'
        ),
        ["factors.intensity.direction", "'out'"],
        id="direction-invalid",
    ),
    pytest.param(
        lambda t: t.replace("[factors.removal_distress", "[factors.removal_distres"),
        ["factors.removal_distres: unknown factor", "factors.removal_distress: missing factor"],
        id="unknown-and-missing-factor",
    ),
    pytest.param(
        lambda t: _swap(t, "weight = 1.5", "weight = = 1.5"),
        ["not valid TOML", "line"],
        id="toml-syntax-error-with-line",
    ),
    pytest.param(
        lambda t: _swap(
            t,
            'direction = "implementation"\nweight = 0',
            'direction = "implementation"\nweight = 2',
        ),
        ["factors.staffing_limit.weight", "300.116"],
        id="implementation-factor-with-weight",
    ),
    pytest.param(
        lambda t: _swap(
            t,
            'label = "provider availability"\n',
            'label = "provider availability"\nweight_x = 1\n',
        ),
        ["factors.staffing_limit.weight_x: unknown key"],
        id="unknown-key",
    ),
    pytest.param(
        lambda t: _swap(t, "clear_margin = 4.0", "clear_margin = 1.0"),
        ["thresholds", "clear_margin"],
        id="thresholds-out-of-order",
    ),
    pytest.param(
        lambda t: _swap(t, 'split_rounding = "nearest"', 'split_rounding = "random"'),
        ["thresholds.split_rounding", "'random'"],
        id="split-rounding-choice",
    ),
    pytest.param(
        lambda t: _swap(t, "were {to_rating} instead", "were {to} instead"),
        ["wording.tipping_point", "{to}"],
        id="unknown-placeholder",
    ),
    pytest.param(
        lambda t: _swap(t, '3 = "A high dose', '4 = "A high dose'),
        ["factors.intensity.meanings", "missing rating 3"],
        id="meanings-not-0-to-3",
    ),
    pytest.param(
        lambda t: _swap(
            t,
            'sources = ["Push-in vs. Pull-out Services", "What is',
            'sources = ["Push in", "What is',
        ),
        ["factors.distraction_sensitivity.sources", "'Push in'"],
        id="source-not-listed",
    ),
    pytest.param(
        lambda t: _swap(t, "min_points = 6", 'min_points = "six"'),
        ["progress.min_points"],
        id="progress-table",
    ),
    pytest.param(
        lambda t: t + "\n[extras]\nx = 1\n",
        ["[extras]: unknown table"],
        id="unknown-table",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), BROKEN)
def test_a_broken_rules_file_names_the_key_and_the_problem(
    tmp_path: Path, text: str, edit, expected: list[str]
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(edit(text), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert str(path) in message
    for part in expected:
        assert part in message, (part, message)


def test_missing_file_and_folder_are_rules_errors(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="does not exist"):
        load_rules(tmp_path / "nope.toml")
    with pytest.raises(RulesError, match="folder"):
        load_rules(tmp_path)


def test_parse_rules_accepts_text_and_rejects_non_utf8(text: str) -> None:
    assert parse_rules(text).name == load_rules().name
    with pytest.raises(RulesError, match="UTF-8"):
        parse_rules(b"\xff\xfe not text")


# ----------------------------------------------------------------------- what-if weights


def test_with_weights_marks_the_rule_set_as_modified(rules: RuleSet) -> None:
    changed = rules.with_weights({"intensity": 3.0})
    assert changed.factor("intensity").weight == 3.0
    assert changed.version == rules.version + "+modified"
    assert changed.file_hash != rules.file_hash
    assert changed.file_hash == changed.canonical_hash()
    # Modifying twice keeps one suffix; the original is untouched.
    assert changed.with_weights({"intensity": 1.0}).version.count("+modified") == 1
    assert rules.factor("intensity").weight == 1.5


def test_with_weights_changes_the_recommendation(rules: RuleSet) -> None:
    service = Service(
        service_id="S1",
        student_id="ST1",
        service="speech_language",
        minutes_per_week=60,
        session_minutes=30,
        intensity=2,
        generalization=2,
        social_goals=1,
    )
    assert recommend(service, rules).recommendation.value == "hybrid"
    heavier = rules.with_weights({"intensity": 3.0})
    answer = recommend(service, heavier)
    assert answer.recommendation.value == "pull_out"
    assert answer.rules_version.endswith("+modified")


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ({"intensty": 1.0}, "factors.intensty: unknown factor"),
        ({"intensity": "x"}, "factors.intensity.weight"),
        ({"intensity": -1}, "0 or more"),
        ({"staffing_limit": 1.0}, "300.116"),
    ],
)
def test_with_weights_rejects_bad_weights(rules: RuleSet, weights: dict, expected: str) -> None:
    with pytest.raises(RulesError, match=expected.replace(".", r"\.")):
        rules.with_weights(weights)


# ----------------------------------------------------------------------- versions and 2.0 tables


def test_the_kept_1_0_0_file_still_loads_in_its_own_format() -> None:
    from pushin_rules.decide.rules import load_rules_version

    old = load_rules_version("1.0.0")
    assert (old.version, old.format) == ("1.0.0", 1)
    assert isinstance(old.factor("intensity").because, str)
    # The 1.0.0 file's bytes are unchanged, so its hash names the decisions made under it.
    path = shipped_rules_path().with_name("rules_1_0_0.toml")
    assert old.file_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_need_factor_has_a_sentence_per_level(rules: RuleSet) -> None:
    assert rules.format == 2
    for factor in rules.need_factors:
        assert isinstance(factor.because, dict) and sorted(factor.because) == [1, 2, 3]
        for levels in [*factor.because_by_service.values(), *factor.because_by_age.values()]:
            assert sorted(levels) == [1, 2, 3]


BROKEN_2 = [
    pytest.param(
        lambda t: _swap(
            t, '[factors.intensity.because]\n1 = "', '[factors.intensity.because]\n4 = "'
        ),
        ["factors.intensity.because", "1, 2 and 3"],
        id="because-levels",
    ),
    pytest.param(
        lambda t: _swap(
            t,
            "[factors.intensity.because_by_service.counseling]",
            "[factors.intensity.because_by_service.counselling]",
        ),
        ["factors.intensity.because_by_service", "'counselling'"],
        id="because-unknown-service",
    ),
    pytest.param(
        lambda t: _swap(t, "Some practice {place} would", "Some practice {where} would"),
        ["factors.generalization", "{where}"],
        id="because-unknown-placeholder",
    ),
    pytest.param(
        lambda t: _swap(t, 'services = ["counseling"]', 'services = ["therapy"]'),
        ["privacy", "'therapy'"],
        id="privacy-unknown-service",
    ),
    pytest.param(
        lambda t: _swap(
            t,
            "intensity_by_group_size = [1.0, 1.0, 0.8",
            "intensity_by_group_size = [1.0, 1.2, 0.8",
        ),
        ["dose", "between 0 and 1"],
        id="dose-out-of-range",
    ),
    pytest.param(
        lambda t: _swap(t, "format = 2", "format = 3"),
        ["rule_set.format", "1 or 2"],
        id="format-unknown",
    ),
    pytest.param(
        lambda t: _swap(t, 'pe = "in PE class"', 'gym = "in the gym"'),
        ["places.gym: unknown setting"],
        id="places-unknown-setting",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), BROKEN_2)
def test_a_broken_2_0_table_names_the_key_and_the_problem(
    tmp_path: Path, text: str, edit, expected: list[str]
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(edit(text), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    for part in expected:
        assert part in message, (part, message)
