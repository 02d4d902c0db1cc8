"""A synthetic district written in SEIS's export shapes (Deliveries and IEP Dates), quirks
included, so the SEIS import can be tried and tested end to end without real records.

    python -m pushin_rules.data.synth_seis --students 60 --seed 1 --out DIR

writes DIR/Deliveries.csv and DIR/IEP_Dates.csv from `synth.generate(students, seed)`. The
synthetic ids stand in for SEIS IDs. Quirks as real exports carry them: a byte-order mark, a
title row above the Deliveries header, CRLF line ends, "Last, First" names in quotes, the
two spaces SEIS writes in "510 - Individual  counseling", thousands separators in the yearly
totals, Windows-1252 in IEP Dates; a hybrid service as two rows (in class and in a separate
classroom); and, for every fifth other service, last year's row (ended) before this year's,
with other minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

import pandas as pd

from pushin_rules.data.importers.frequency import Frequency, describe, school_weeks
from pushin_rules.data.importers.seis import DELIVERIES_COLUMNS, IEP_DATES_COLUMNS
from pushin_rules.data.importers.text import csv_text

# The SEIS Service cell each service family is written as (state code - name).
SERVICE_CELLS: dict[str, str] = {
    "setss": "330 - Specialized Academic Instruction",
    "speech_language": "415 - Language and Speech",
    "occupational_therapy": "450 - Occupational Therapy",
    "physical_therapy": "460 - Physical Therapy",
    "counseling": "510 - Individual  counseling",
}
LOCATION_CELLS: dict[str, str] = {
    "push_in": "General Education Classroom",
    "pull_out": "Separate Classroom",
    "": "Regular Classroom / Public Day School",  # says the school, not the room
}
# This year's IEP span (covers the synthetic school year) and last year's.
SPAN = (dt.date(2026, 8, 24), dt.date(2027, 8, 23))
LAST_SPAN = (dt.date(2025, 8, 25), dt.date(2026, 8, 23))
TITLE = "Deliveries - Synthetic Unified School District - exported 11/30/2026"
DELIVERIES_FILE = "Deliveries.csv"
IEP_DATES_FILE = "IEP_Dates.csv"


def seis_rows(frames: dict[str, pd.DataFrame]) -> dict[str, list[list[str]]]:
    """The district's students and services as SEIS Deliveries and IEP Dates rows (header
    first). Reads students.csv, schools.csv and services.csv of `synth.generate`."""
    students = frames["students.csv"]
    schools = dict(
        zip(frames["schools.csv"]["school_id"], frames["schools.csv"]["name"], strict=True)
    )
    names = dict(zip(students["student_id"], students["name"], strict=True))
    roster: list[list[str]] = [list(IEP_DATES_COLUMNS)]
    for number, s in enumerate(students.itertuples(index=False)):
        first, last = _split(s.name)
        roster.append(
            [
                s.student_id,
                f"{3_000_000_000 + number:010d}",  # SSID: a 10-digit state id
                last,
                first,
                "",
                "",
                "01/01/2017",
                "Synthetic Unified",
                "Synthetic Unified",
                schools[s.school_id],
                "KN" if s.grade == "K" else f"{int(s.grade):02d}",
                _last_first(s.case_manager),
                "SLD",
                "08/23/2027",
                "08/23/2028",
                "08/24/2026",
                "Annual",
            ]
        )
    deliveries: list[list[str]] = [list(DELIVERIES_COLUMNS)]
    for number, v in enumerate(frames["services.csv"].itertuples(index=False)):
        weekly, session = int(v.minutes_per_week), int(v.session_minutes)
        location = LOCATION_CELLS.get(v.current_model, "")
        rows = [(SPAN, weekly, location)]
        if v.current_model == "hybrid":  # SEIS lists a split as a row per setting
            inside = int(v.current_push_in_minutes)
            rows = [
                (SPAN, inside, LOCATION_CELLS["push_in"]),
                (SPAN, weekly - inside, LOCATION_CELLS["pull_out"]),
            ]
        elif number % 5 == 4:  # last year's row first, with one session less (or more)
            times = weekly // session
            rows.insert(0, (LAST_SPAN, session * (times - 1 if times > 1 else 2), location))
        for (start, end), minutes, where in rows:
            total = minutes * school_weeks((end - start).days + 1)
            deliveries.append(
                [
                    _last_first(names[v.student_id]),
                    v.student_id,
                    SERVICE_CELLS[v.service],
                    "Group" if int(v.group_size) > 1 else "Individual",
                    f"{start:%m/%d/%Y}",
                    f"{end:%m/%d/%Y}",
                    describe(Frequency(session, minutes // session, "weekly", minutes)),
                    where,
                    f"{round(total):,}",
                    "0",
                    "Yes" if number % 3 else "No",
                ]
            )
    return {DELIVERIES_FILE: deliveries, IEP_DATES_FILE: roster}


def seis_files(frames: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """The two exports as bytes, with the quirks of real downloads."""
    rows = seis_rows(frames)
    deliveries = TITLE + "\r\n" + csv_text(rows[DELIVERIES_FILE])
    return {
        DELIVERIES_FILE: b"\xef\xbb\xbf" + deliveries.encode("utf-8"),
        IEP_DATES_FILE: csv_text(rows[IEP_DATES_FILE]).encode("cp1252", errors="replace"),
    }


def write_seis(frames: dict[str, pd.DataFrame], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write Deliveries.csv and IEP_Dates.csv into `out_dir`; returns their paths."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in seis_files(frames).items():
        (folder / name).write_bytes(content)
        written.append(folder / name)
    return written


def _split(name: str) -> tuple[str, str]:
    """'Ana B. Alvarez' -> ('Ana B.', 'Alvarez')."""
    first, _, last = name.rpartition(" ")
    return first, last


def _last_first(name: str) -> str:
    if not name:
        return ""
    first, last = _split(name)
    return f"{last}, {first}" if first else last


def main(argv: list[str] | None = None) -> int:
    from pushin_rules.data.synth import generate

    parser = argparse.ArgumentParser(prog="python -m pushin_rules.data.synth_seis")
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    for path in write_seis(generate(args.students, args.seed), args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
