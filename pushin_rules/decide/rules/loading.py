"""Loading a rules file: the shipped rule sets (by version), a file on disk, or bytes and
text (an upload); a broken file raises RulesError naming every problem."""

from __future__ import annotations

import hashlib
import os
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pushin_rules.decide.rules.ruleset import RuleSet
from pushin_rules.decide.rules.validation import _build
from pushin_rules.decide.rules.vocabulary import MODIFIED_SUFFIX, _message
from pushin_rules.errors import RulesError

# Shipped rule sets by version: decisions recorded under an older version keep showing the
# rules that produced them (`load_rules_version`).
SHIPPED_VERSIONS: dict[str, str] = {"1.0.0": "rules_1_0_0.toml", "2.0.0": "rules.toml"}


def shipped_rules_path() -> Path:
    return Path(str(resources.files("pushin_rules.decide").joinpath("rules.toml")))


def load_rules_version(version: str) -> RuleSet:
    """A rule set shipped with the package, by version ("1.0.0", "2.0.0"), so a decision
    recorded under an older version can show, and rescore with, the rules that produced it."""
    name = SHIPPED_VERSIONS.get(version.removesuffix(MODIFIED_SUFFIX))
    if name is None:
        raise RulesError(f"no shipped rule set {version!r}; shipped: {', '.join(SHIPPED_VERSIONS)}")
    return _shipped_file(name)


@lru_cache(maxsize=4)
def _shipped_file(name: str) -> RuleSet:
    path = Path(str(resources.files("pushin_rules.decide").joinpath(name)))
    return _load(path, source=f"{name} (shipped)")


def load_rules(path: str | os.PathLike[str] | None = None) -> RuleSet:
    """Load and validate a rules file (None: the one shipped with the package)."""
    if path is None:
        return _shipped()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _shipped() -> RuleSet:
    return _load(shipped_rules_path(), source="rules.toml (shipped)")


def _load(path: Path, source: str | None = None) -> RuleSet:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise RulesError(f"rules file {path} does not exist") from None
    except IsADirectoryError:
        raise RulesError(f"rules file {path} is a folder, not a TOML file") from None
    except OSError as error:
        raise RulesError(f"rules file {path} cannot be read: {error.strerror}") from None
    return parse_rules(content, source=source or f"rules file {path}")


def parse_rules(content: bytes | str, source: str = "rules file") -> RuleSet:
    """Validate a rules file given as bytes or text (a file, an upload)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RulesError(f"{source} is not UTF-8 text") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{source} is not valid TOML: {error}") from None
    problems: list[str] = []
    rules = _build(table, hashlib.sha256(data).hexdigest(), source, problems)
    if problems or rules is None:
        raise RulesError(_message(source, problems))
    return rules
