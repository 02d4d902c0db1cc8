"""The trainer's content files: what each vignette expects is what the rule set recommends, the
files agree with each other and with the generator, and a broken file is named, key by key."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from pushin_rules import content
from pushin_rules.content import ContentError
from pushin_rules.data import synth
from pushin_rules.decide.engine import recommend
from pushin_rules.decide.rules import load_rules
from pushin_rules.models import ServiceType
from pushin_rules.present import trainer

FILES = ("vignettes.toml", "situations.toml", "arrangements.toml", "quiz.toml")
CASES = [
    (vignette.key, index)
    for vignette in content.vignettes()
    for index in range(len(vignette.services))
]


# --------------------------------------------------------------------------- the rules agree


@pytest.mark.parametrize(("key", "index"), CASES, ids=[f"{k}{i + 1}" for k, i in CASES])
def test_each_vignette_gets_the_answer_its_file_expects(key: str, index: int) -> None:
    """`expect` in vignettes.toml is what the shipped rule set recommends; a case marked as a
    deliberate discussion case is one the rules answer differently (else the mark is stale)."""
    vignette = next(v for v in content.vignettes() if v.key == key)
    spec = vignette.services[index]
    answer = recommend(trainer.vignette_services(vignette)[index], load_rules())
    where = f"vignettes.toml, vignette {key!r}, service {spec.service!r}"
    if spec.discussion:
        assert answer.recommendation.value != spec.expect, (
            f"{where} is marked as a discussion case ({spec.reason}), but the rules now give "
            f"{spec.expect} as expected: drop `discussion` and `reason`"
        )
    else:
        assert answer.recommendation.value == spec.expect, (
            f"{where}: expected {spec.expect}, the rules give {answer.recommendation.value}"
        )


# --------------------------------------------------------------------------- the files agree


def test_quiz_asks_about_every_vignette_service_once() -> None:
    """The page asks trainer.QUIZ in order; today's quiz covers each vignette service."""
    assert sorted(trainer.QUIZ) == sorted(CASES)
    assert trainer.QUIZ[0] == ("a", 0)


def test_every_goal_uses_a_measure_the_generator_knows() -> None:
    measures = [g.measure for v in content.vignettes() for s in v.services for g in s.goals]
    measures += [measure for focus in content.foci() for _, measure in focus.goals]
    assert set(measures) <= set(synth.MEASURES)
    for vignette in content.vignettes():
        for service in vignette.services:
            for goal in service.goals:
                assert goal.direction == synth.MEASURES[goal.measure].direction, goal


def test_every_service_type_has_situations_to_draw_from() -> None:
    assert {focus.service for focus in content.foci()} == set(ServiceType)


def test_the_content_files_ship_inside_the_package() -> None:
    """Read through importlib.resources, as an installed wheel is (hatch ships package data)."""
    folder = resources.files("pushin_rules.content")
    for name in FILES:
        assert folder.joinpath(name).is_file(), name


# --------------------------------------------------------------------------- broken files

# (file, text in the shipped file, replacement, what the message must say)
BROKEN = [
    (
        "vignettes.toml",
        "intensity = 1\n",
        "intensity = 5\n",
        "vignette[1].service[1].ratings: intensity is rated 5; a rating is a whole number 0-3",
    ),
    (
        "vignettes.toml",
        'expect = "push_in"',
        'expect = "inclusion"',
        "vignette[1].service[1].expect: 'inclusion' is not valid",
    ),
    (
        "vignettes.toml",
        'name = "Theo Brennan"\n',
        "",
        "vignette[1].name: missing",
    ),
    (
        "vignettes.toml",
        'classroom = "2-109"\n',
        'classroom = "2-109"\ncolour = "blue"\n',
        "vignette[1].colour: unknown key",
    ),
    (
        "vignettes.toml",
        'expect = "push_in"',
        'expect = "push_in"\ndiscussion = true',
        "vignette[1].service[1]: reason: a discussion case says why in one line",
    ),
    (
        "vignettes.toml",
        "phases = [{ from_week = 0, ",
        "phases = [{ from_week = 3, ",
        "vignette[1].service[1].goal[1].phases: phases must start at week 0",
    ),
    (
        "situations.toml",
        "intensity = 2.0\n",
        "",
        "focus[1].needs: give a mean rating for each need factor",
    ),
    (
        "situations.toml",
        "group = [1, 3]",
        "group = [3, 1]",
        "focus[1].group: group is [smallest, largest]",
    ),
    (
        "arrangements.toml",
        'sources = ["000"]',
        'sources = ["004"]',
        "arrangement[1].sources: ['004'] not in [sources]",
    ),
    (
        "quiz.toml",
        'case = "a"',
        'case = "z"',
        "question[1].case: 'z' is not a vignette in vignettes.toml",
    ),
    (
        "quiz.toml",
        'service = "setss"',
        'service = "physical_therapy"',
        "question[1].service: 'physical_therapy' is not a service of vignette 'a'",
    ),
    ("quiz.toml", "[[question]]", "[[question]", "is not valid TOML"),
]


def _load(name: str, path: Path) -> object:
    if name == "vignettes.toml":
        return content.vignettes(path)
    if name == "situations.toml":
        return content.foci(path)
    if name == "arrangements.toml":
        return content.arrangements(path)
    return content.quiz(path)


@pytest.mark.parametrize(("name", "old", "new", "words"), BROKEN, ids=[b[3][:40] for b in BROKEN])
def test_a_broken_file_names_the_file_and_the_key(
    tmp_path: Path, name: str, old: str, new: str, words: str
) -> None:
    shipped = content.shipped_path(name).read_text(encoding="utf-8")
    assert old in shipped, "the test's anchor text is gone from the shipped file"
    broken = tmp_path / name
    broken.write_text(shipped.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ContentError) as raised:
        _load(name, broken)
    message = str(raised.value)
    assert message.startswith(f"content file {broken}"), message
    assert words in message, message
    assert "Traceback" not in message


def test_the_shipped_files_load(tmp_path: Path) -> None:
    for name in FILES:
        copy = tmp_path / name
        copy.write_bytes(content.shipped_path(name).read_bytes())
        assert _load(name, copy)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match=r"content file .*absent\.toml does not exist"):
        content.vignettes(tmp_path / "absent.toml")


def test_a_discussion_case_loads_with_its_reason(tmp_path: Path) -> None:
    shipped = content.shipped_path("vignettes.toml").read_text(encoding="utf-8")
    marked = tmp_path / "vignettes.toml"
    marked.write_text(
        shipped.replace(
            'expect = "push_in"',
            'expect = "hybrid"\ndiscussion = true\nreason = "Teams split on this one."',
            1,
        ),
        encoding="utf-8",
    )
    service = content.vignettes(marked)[0].services[0]
    assert (service.expect, service.discussion, service.reason) == (
        "hybrid",
        True,
        "Teams split on this one.",
    )
