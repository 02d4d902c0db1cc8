"""De-identified display: stable pseudonyms or initials in place of student names, and text
escaping so student-entered text is always shown literally."""

from __future__ import annotations

import base64
import hashlib
import re

import pandas as pd

PSEUDONYM = "pseudonym"
INITIALS = "initials"


def _code(student_id: str, salt: str, length: int) -> str:
    digest = hashlib.sha256(f"{salt}\x00{student_id}".encode()).digest()
    # Base32 without the letters people misread on a projector (0/O, 1/I are not in base32).
    return base64.b32encode(digest).decode()[:length]


def pseudonyms(student_ids: pd.Series, salt: str = "") -> pd.Series:
    """A stable label per student id ("Student 7QKD"): the same id always gets the same label,
    and labels are unique within the district (a longer code breaks the rare tie)."""
    ids = pd.Series(student_ids.astype(str).to_numpy(), index=student_ids.astype(str).to_numpy())
    codes = ids.map(lambda sid: _code(sid, salt, 4))
    length = 4
    while codes.duplicated(keep=False).any() and length < 16:
        length += 2
        clash = codes.duplicated(keep=False)
        codes[clash] = ids[clash].map(lambda sid, n=length: _code(sid, salt, n))
    return "Student " + codes


def initials(student_ids: pd.Series, names: pd.Series) -> pd.Series:
    """Initials ("A.R."), numbered when two students share them ("A.R. 2")."""
    letters = names.astype(str).map(
        lambda name: (
            ".".join(part[0].upper() for part in re.findall(r"[^\W\d_]+", name)[:3]) + "."
            if re.search(r"[^\W\d_]", name)
            else "?"
        )
    )
    letters.index = student_ids.astype(str).to_numpy()
    order = letters.groupby(letters.to_numpy()).cumcount() + 1
    counts = letters.map(letters.value_counts())
    return letters.where(counts == 1, letters + " " + order.astype(str))


def display_labels(students: pd.DataFrame, mode: str | None, salt: str = "") -> pd.Series:
    """Student label per student_id: the name, or its de-identified stand-in."""
    ids = students["student_id"].astype(str)
    if mode == PSEUDONYM:
        return pseudonyms(ids, salt)
    if mode == INITIALS:
        return initials(ids, students["name"])
    return pd.Series(students["name"].astype(str).to_numpy(), index=ids.to_numpy())


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])")


def escape_markdown(text: object) -> str:
    """Text that Markdown shows literally: no emphasis, links, HTML or maths from user input."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def find_students(students: pd.DataFrame, text: str, limit: int = 50) -> list[str]:
    """Student ids whose id or real name matches what staff typed, best matches first: an
    exact id, then names or ids holding every typed word (case and accents as typed are
    ignored). The match runs on the server; a de-identified page shows only the labels of
    the ids returned, never the names."""
    words = [w for w in re.split(r"\s+", _fold(text)) if w]
    if not words or students.empty:
        return []
    ids = students["student_id"].astype(str)
    names = students["name"].astype(str).map(_fold)
    folded_ids = ids.map(_fold)
    exact = folded_ids == " ".join(words)
    hay = names + " " + folded_ids
    every = pd.Series(True, index=students.index)
    for word in words:
        every &= hay.str.contains(word, regex=False)
    starts = names.str.startswith(words[0])
    rank = (~exact).astype(int) * 2 + (~starts).astype(int)
    found = ids[exact | every]
    order = rank[exact | every].sort_values(kind="stable")
    return found.loc[order.index].head(limit).tolist()


def _fold(text: object) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", str(text).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
