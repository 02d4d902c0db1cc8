"""The trainer's content as data: TOML files beside this module, each checked on load.

- `vignettes.toml`     the named synthetic students, their services, ratings, goals and progress
                       stories, and what the rule set is expected to recommend for each service.
- `situations.toml`    the foci a generated service works on (need ratings, groups, goal wording).
- `arrangements.toml`  inclusion / push-in / pull-out compared, the hybrid and staffing notes,
                       and the sources they cite.
- `quiz.toml`          the trainer's quiz questions, in order.

Each loader returns validated models (see `models.py`) and is cached for the shipped file; a
broken file raises ContentError naming the file, the key path (entries of an array of tables
counted from 1: `vignette[2].service[1].ratings`) and what is wrong, never a traceback.
"""

from __future__ import annotations

import functools
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pushin_rules.content.models import (
    Arrangement,
    ArrangementsFile,
    Focus,
    QuizFile,
    SituationsFile,
    Vignette,
    VignetteGoal,
    VignetteService,
    VignettesFile,
)
from pushin_rules.errors import InputError

__all__ = [
    "Arrangement",
    "ArrangementsFile",
    "ContentError",
    "Focus",
    "Vignette",
    "VignetteGoal",
    "VignetteService",
    "arrangements",
    "foci",
    "quiz",
    "vignettes",
]

Model = TypeVar("Model", bound=BaseModel)
PathLike = str | os.PathLike[str]


class ContentError(InputError):
    """A content file that cannot be used; the message names the file, key and problem."""


def shipped_path(name: str) -> Path:
    return Path(str(resources.files("pushin_rules.content").joinpath(name)))


def vignettes(path: PathLike | None = None) -> tuple[Vignette, ...]:
    """The trainer's vignettes (`vignettes.toml`, or the file at `path`)."""
    return _file("vignettes.toml", VignettesFile, path).vignettes


def foci(path: PathLike | None = None) -> tuple[Focus, ...]:
    """The synthetic district's situation foci (`situations.toml`)."""
    return _file("situations.toml", SituationsFile, path).foci


def arrangements(path: PathLike | None = None) -> ArrangementsFile:
    """The three arrangements, the hybrid and staffing notes, and their sources."""
    return _file("arrangements.toml", ArrangementsFile, path)


def quiz(
    path: PathLike | None = None, vignettes_path: PathLike | None = None
) -> tuple[tuple[str, int], ...]:
    """The quiz questions in order, each as (vignette key, index of the service in it)."""
    questions = _file("quiz.toml", QuizFile, path).questions
    cases = {v.key: v for v in vignettes(vignettes_path)}
    out, problems = [], []
    for number, question in enumerate(questions, start=1):
        where = f"question[{number}]"
        vignette = cases.get(question.case)
        if vignette is None:
            problems.append(
                f"{where}.case: {question.case!r} is not a vignette in vignettes.toml "
                f"(the keys are {', '.join(cases)})"
            )
            continue
        kinds = [s.service for s in vignette.services]
        if question.service not in kinds:
            problems.append(
                f"{where}.service: {question.service!r} is not a service of vignette "
                f"{question.case!r} (it has {', '.join(kinds)})"
            )
            continue
        out.append((question.case, kinds.index(question.service)))
    if problems:
        raise ContentError(_message(_source("quiz.toml", path), problems))
    return tuple(out)


# --------------------------------------------------------------------------- loading


def _file(name: str, model: type[Model], path: PathLike | None) -> Model:
    if path is None:
        return _shipped(name, model)  # type: ignore[return-value]
    return _load(Path(path), model, _source(name, path))


@functools.cache
def _shipped(name: str, model: type[BaseModel]) -> BaseModel:
    return _load(shipped_path(name), model, _source(name, None))


def _source(name: str, path: PathLike | None) -> str:
    return f"pushin_rules/content/{name}" if path is None else f"content file {path}"


def _load(path: Path, model: type[Model], source: str) -> Model:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(f"{source} does not exist") from None
    except OSError as error:
        raise ContentError(f"{source} cannot be read: {error.strerror}") from None
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ContentError(f"{source} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{source} is not valid TOML: {error}") from None
    try:
        return model.model_validate(table)
    except ValidationError as error:
        raise ContentError(_message(source, [_problem(item) for item in error.errors()])) from None


def _problem(item: Any) -> str:
    """One pydantic error as "key.path: what is wrong"."""
    parts: list[str] = []
    for part in item["loc"]:
        if isinstance(part, int):
            parts.append(f"[{part + 1}]" if parts else str(part + 1))
        else:
            parts.append(("." if parts else "") + str(part))
    where = "".join(parts)
    kind, msg = item["type"], item["msg"].removeprefix("Value error, ")
    if kind == "missing":
        return f"{where}: missing"
    if kind == "extra_forbidden":
        return f"{where}: unknown key"
    if not where:
        return msg
    given = item.get("input")
    if isinstance(given, dict | list | tuple):
        return f"{where}: {msg}"
    return f"{where}: {given!r} is not valid; {msg}"


def _message(source: str, problems: list[str]) -> str:
    count = len(problems)
    head = f"{source} has {count} problem{'s' if count != 1 else ''}:"
    return "\n".join([head, *(f"  - {p}" for p in problems)])
