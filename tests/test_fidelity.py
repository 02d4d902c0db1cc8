"""Service fidelity: the `fidelity` command on a district computed by hand, the definitions one
by one, and bad input (exit 2, a message naming file, row and column, no output file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from pushin_rules.__main__ import main
from pushin_rules.data.loader import load_district
from pushin_rules.decide import fidelity
from pushin_rules.models import FACTORS

SERVICES = [
    # service_id, student, service, minutes_per_week
    ("S1", "A", "speech_language", 60),
    ("S2", "A", "occupational_therapy", 90),
    ("S3", "B", "setss", 120),
    ("S4", "B", "counseling", 30),  # never logged
]
# Wednesday 16 September to Tuesday 22 September 2026: seven days, but they touch two
# Monday-to-Sunday weeks (14-20 and 21-27 September), so weeks = 2.
LOG = """service_id,date,setting,minutes,status,reason
S1,2026-09-16,pull_out,30,delivered,
S1,2026-09-16,push_in,30,missed,schedule_conflict
S1,2026-09-22,pull_out,30,delivered,
S2,2026-09-17,push_in,45,delivered,
S2,2026-09-18,pull_out,45,missed,student_absent
S2,2026-09-21,push_in,50,delivered,
S2,2026-09-22,pull_out,40,missed,provider_absent
S3,2026-09-16,push_in,120,delivered,
S3,2026-09-21,push_in,120,delivered,
S3,2026-09-22,pull_out,60,delivered,
"""


def district(folder: Path, log: str | None = LOG) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "students.csv").write_text(
        "student_id,name,grade,school_id\nA,Ana,2,SCH1\nB,Ben,4,SCH1\n"
    )
    lines = [
        "service_id,student_id,service,minutes_per_week,session_minutes,current_model,"
        + ",".join(FACTORS)
    ]
    for sid, student, service, minutes in SERVICES:
        lines.append(f"{sid},{student},{service},{minutes},30,push_in," + ",".join("1" * 11))
    (folder / "services.csv").write_text("\n".join(lines) + "\n")
    if log is not None:
        (folder / "service_log.csv").write_text(log)
    return folder


def run(tmp_path: Path, *extra: str, log: str | None = LOG) -> tuple[int, Path]:
    out = tmp_path / "out" / "fidelity.csv"
    code = main(
        ["fidelity", "--data", str(district(tmp_path / "d", log)), *extra, "--out", str(out)]
    )
    return code, out


def read(out: Path) -> pd.DataFrame:
    return pd.read_csv(out, dtype=str, keep_default_na=False).set_index("service_id")


FIGURES = [
    "weeks",
    "mandated_minutes",
    "delivered_minutes",
    "delivered_push_in_minutes",
    "delivered_pull_out_minutes",
    "missed_minutes",
    "makeup_owed_minutes",
    "unaccounted_minutes",
    "fidelity_percent",
]


def test_whole_log_period_by_hand(tmp_path: Path) -> None:
    code, out = run(tmp_path)
    assert code == 0
    table = read(out)
    assert list(table.columns[: 2 + len(FIGURES)]) == ["student_id", "service", *FIGURES]
    # S1: mandated 60 x 2 = 120; delivered 30 + 30 = 60, all pulled out; missed 30 for a
    # schedule conflict (the school's side: owed); unaccounted 120 - 60 - 30 = 30;
    # fidelity 100 x 60 / 120 = 50.0.
    assert table.loc["S1", FIGURES].tolist() == [
        "2",
        "120",
        "60",
        "0",
        "60",
        "30",
        "30",
        "30",
        "50.0",
    ]
    # S2: mandated 90 x 2 = 180; delivered 45 + 50 = 95 in class; missed 45 (student absent,
    # not owed) + 40 (provider absent, owed) = 85, owed 40; unaccounted 180 - 95 - 85 = 0;
    # fidelity 100 x 95 / 180 = 52.77... -> 52.8.
    assert table.loc["S2", FIGURES].tolist() == [
        "2",
        "180",
        "95",
        "95",
        "0",
        "85",
        "40",
        "0",
        "52.8",
    ]
    # S3: mandated 240; delivered 120 + 120 + 60 = 300 (more than mandated): unaccounted is
    # max(0, 240 - 300 - 0) = 0 and fidelity 125.0.
    assert table.loc["S3", FIGURES].tolist() == [
        "2",
        "240",
        "300",
        "240",
        "60",
        "0",
        "0",
        "0",
        "125.0",
    ]
    # S4 has no log row in the period: every figure empty, not zero.
    assert table.loc["S4", FIGURES].tolist() == [""] * len(FIGURES)
    assert table.loc["S1", "period_start"] == "2026-09-16"
    assert table.loc["S1", "period_end"] == "2026-09-22"


def test_from_and_to_bound_the_period_inclusively(tmp_path: Path) -> None:
    code, out = run(tmp_path, "--from", "2026-09-21", "--to", "2026-09-27")
    assert code == 0
    table = read(out)
    # One week. S1: only 22 Sept, 30 delivered of 60; unaccounted 30.
    assert table.loc["S1", FIGURES].tolist() == ["1", "60", "30", "0", "30", "0", "0", "30", "50.0"]
    # S2: 50 delivered (21 Sept) of 90, 40 missed for provider absence (owed): 55.55... -> 55.6.
    assert table.loc["S2", FIGURES].tolist() == [
        "1",
        "90",
        "50",
        "50",
        "0",
        "40",
        "40",
        "0",
        "55.6",
    ]
    assert table.loc["S3", "fidelity_percent"] == "150.0"
    assert table.loc["S4", "weeks"] == ""


def test_a_period_without_log_rows_gives_empty_figures(tmp_path: Path) -> None:
    code, out = run(tmp_path, "--from", "2026-10-01", "--to", "2026-10-31")
    assert code == 0
    table = read(out)
    assert (table[FIGURES] == "").all().all()


def test_a_district_without_a_service_log_is_valid(tmp_path: Path) -> None:
    code, out = run(tmp_path, log=None)
    assert code == 0
    assert (read(out)[FIGURES] == "").all().all()
    assert load_district(tmp_path / "d").service_log.empty


@pytest.mark.parametrize(
    ("first", "last", "weeks"),
    [
        (dt.date(2026, 9, 14), dt.date(2026, 9, 20), 1),  # Monday to Sunday
        (dt.date(2026, 9, 13), dt.date(2026, 9, 14), 2),  # Sunday, then Monday: two weeks
        (dt.date(2026, 9, 16), dt.date(2026, 9, 16), 1),  # a single day
        (dt.date(2026, 9, 14), dt.date(2026, 10, 11), 4),
        (dt.date(2026, 9, 15), dt.date(2026, 9, 14), 0),  # empty
    ],
)
def test_weeks_are_monday_to_sunday_weeks_overlapping_the_period(
    first: dt.date, last: dt.date, weeks: int
) -> None:
    assert fidelity.weeks_overlapping(first, last) == weeks


def test_loaded_log_is_typed_and_sorted(tmp_path: Path) -> None:
    log = load_district(district(tmp_path / "d")).service_log
    assert list(log.columns) == ["service_id", "date", "setting", "minutes", "status", "reason"]
    assert str(log["date"].dtype) == "datetime64[ns]"
    assert str(log["minutes"].dtype) == "int64"
    assert log["service_id"].is_monotonic_increasing
    assert log.loc[log["status"] == "delivered", "reason"].eq("").all()


def test_phase_fidelity_labels_a_phase_with_too_few_minutes() -> None:
    frame = pd.DataFrame(
        {
            "service_id": ["S1"] * 4,
            "date": pd.to_datetime(["2026-09-15", "2026-09-22", "2026-10-06", "2026-10-13"]),
            "setting": ["push_in", "push_in", "pull_out", "pull_out"],
            "minutes": [30, 30, 60, 60],
            "status": ["delivered", "missed", "delivered", "delivered"],
            "reason": ["", "schedule_conflict", "", ""],
        }
    )
    phases = [
        (dt.date(2026, 9, 14), dt.date(2026, 9, 27)),  # two weeks: 30 of 120 delivered
        (dt.date(2026, 10, 5), dt.date(2026, 10, 18)),  # two weeks: 120 of 120
        (dt.date(2026, 11, 2), dt.date(2026, 11, 8)),  # nothing logged
    ]
    push, pull, unknown = fidelity.phase_fidelity(frame, "S1", 60, phases)
    assert (push["delivered_minutes"], push["mandated_minutes"]) == (30, 120)
    assert push["fidelity_percent"] == 25.0 and push["low"] is True
    assert "low fidelity" in fidelity.phase_caption(push)
    assert pull["fidelity_percent"] == 100.0 and pull["low"] is False
    assert pull["delivered_hours"] == 2.0
    assert unknown["fidelity_percent"] is None and unknown["low"] is False
    assert "no sessions logged" in fidelity.phase_caption(unknown)


# --------------------------------------------------------------------------- bad input

BAD_LOGS = [
    ("S9,2026-09-16,pull_out,30,delivered,\n", "row 2, column service_id"),
    ("S1,2026-09-16,pull_out,30,missed,\n", "row 2, column reason"),
    ("S1,2026-09-16,pull_out,30,missed,forgot\n", "row 2, column reason"),
    ("S1,2026-09-16,pull_out,30,delivered,student_absent\n", "row 2, column reason"),
    ("S1,2026-09-16,pull_out,0,delivered,\n", "row 2, column minutes"),
    ("S1,2026-09-16,pull_out,30.5,delivered,\n", "row 2, column minutes"),
    ("S1,2026-09-16,hybrid,30,delivered,\n", "row 2, column setting"),
    ("S1,2026-09-16,,30,delivered,\n", "row 2, column setting"),
    ("S1,16/09/2026,pull_out,30,delivered,\n", "row 2, column date"),
    ("S1,2026-09-16,pull_out,30,cancelled,\n", "row 2, column status"),
    (
        "S1,2026-09-16,pull_out,30,delivered,\nS1,2026-09-16,pull_out,20,missed,other\n",
        "row 3, column date",
    ),
]


@pytest.mark.parametrize(("rows", "where"), BAD_LOGS)
def test_bad_service_log_exits_2_naming_the_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: str, where: str
) -> None:
    code, out = run(tmp_path, log="service_id,date,setting,minutes,status,reason\n" + rows)
    assert code == 2
    err = capsys.readouterr().err
    assert "service_log.csv, " + where in err
    assert "Traceback" not in err
    assert not out.exists()


def test_the_same_rows_are_refused_by_recommend_too(tmp_path: Path) -> None:
    log = "service_id,date,setting,minutes,status,reason\nS1,2026-09-16,pull_out,30,missed,\n"
    folder = district(tmp_path / "d", log)
    assert main(["recommend", "--data", str(folder), "--out", str(tmp_path / "r.csv")]) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--from", "2026-13-01"), "--from: '2026-13-01' is not a date"),
        (("--to", "yesterday"), "--to: 'yesterday' is not a date"),
        (("--from", "2026-09-22", "--to", "2026-09-16"), "is before --from"),
        (("--from", "2026-09-30"), "is empty"),  # after the log's last date
    ],
)
def test_bad_period_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    code, out = run(tmp_path, *extra)
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "f.csv"
    assert main(["fidelity", "--data", str(tmp_path / "nope"), "--out", str(out)]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert not out.exists()


def test_sample_service_log_is_realistic() -> None:
    sample = load_district(Path(__file__).resolve().parents[1] / "sample_data")
    log = sample.service_log
    assert len(log) > 1000
    missed = log["status"] == "missed"
    share = missed.groupby(log["setting"]).mean()
    # Assemblies and tests cancel in-class sessions more often than therapy-room ones.
    assert share["push_in"] > 1.5 * share["pull_out"]
    reasons = set(log.loc[missed, "reason"])
    assert {"provider_absent", "school_closed", "schedule_conflict", "student_absent"} <= reasons
    # The closed days are Thanksgiving week's Thursday and Friday.
    closed = log.loc[log["reason"] == "school_closed", "date"].dt.date.unique()
    assert set(closed) == {dt.date(2026, 11, 26), dt.date(2026, 11, 27)}
    table = fidelity.fidelity_table(sample.services, log)
    logged = table["fidelity_percent"].dropna()
    assert 0.5 < len(logged) / len(table) <= 1
    assert (logged > 40).all() and (logged < 100).all()


def test_progress_phase_lines_read_each_phase_beside_its_minutes() -> None:
    log = pd.DataFrame(
        {
            "service_id": ["S1"] * 3,
            "date": pd.to_datetime(["2026-09-15", "2026-09-22", "2026-10-06"]),
            "setting": ["push_in", "push_in", "pull_out"],
            "minutes": [30, 30, 60],
            "status": ["delivered", "missed", "delivered"],
            "reason": ["", "schedule_conflict", ""],
        }
    )
    phases = [
        # push-in phase: scores 15 Sept to 29 Sept, rising 1 a week; it runs to the day before
        # the pull-out phase's first score (5 Oct), so 14 Sept to 4 Oct: 3 weeks, 180 mandated.
        ("push_in", dt.date(2026, 9, 15), dt.date(2026, 9, 29), 1.0),
        ("pull_out", dt.date(2026, 10, 5), dt.date(2026, 10, 11), 2.0),
    ]
    push, pull = fidelity.progress_phase_lines(log, "S1", 60, phases)
    # 30 of 180 delivered = 16.7%: low fidelity, so the slope says little about push-in.
    assert push.startswith(
        "In class, Sep 15 - Oct 04: 30 of 180 mandated minutes delivered (16.7%)"
    )
    assert "low fidelity" in push
    # Pull-out: 5-11 Oct, one week, 60 of 60; gain 2.0 a week x 1 week / 1 hour = +2.00.
    assert pull == (
        "Pulled out, Oct 05 - Oct 11: 60 of 60 mandated minutes delivered (100.0%); "
        "gain +2.00 per delivered hour."
    )
    assert fidelity.progress_phase_lines(log, "S2", 60, phases) == []
