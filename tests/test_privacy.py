"""De-identified labels and literal text: what the projector shows instead of a name."""

from __future__ import annotations

import pandas as pd

from pushin_rules.present.access import (
    EDITOR,
    VIEWER,
    Access,
    auth_configured,
    local_access,
    role_for,
)
from pushin_rules.present.privacy import (
    INITIALS,
    PSEUDONYM,
    display_labels,
    escape_markdown,
    initials,
    pseudonyms,
)

STUDENTS = pd.DataFrame(
    {
        "student_id": ["S1", "S2", "S3"],
        "name": ["Ana Ruiz", "Amir Rahman", "Bo Li"],
    }
)


def test_pseudonyms_are_stable_unique_and_hide_the_name() -> None:
    first = pseudonyms(STUDENTS["student_id"])
    again = pseudonyms(pd.Series(["S3", "S1", "S2"]))
    assert first["S1"] == again["S1"] and first["S3"] == again["S3"]
    assert first.is_unique
    assert all(label.startswith("Student ") for label in first)
    assert not any(name in " ".join(first) for name in STUDENTS["name"])
    # a district salt changes every pseudonym, so ids cannot be hashed back to labels
    assert (pseudonyms(STUDENTS["student_id"], salt="district-secret") != first).all()


def test_pseudonyms_stay_unique_in_a_large_district() -> None:
    ids = pd.Series([f"S{i:06d}" for i in range(100_000)])
    assert pseudonyms(ids).is_unique


def test_initials_number_students_who_share_them() -> None:
    labels = initials(STUDENTS["student_id"], STUDENTS["name"])
    assert labels.to_dict() == {"S1": "A.R. 1", "S2": "A.R. 2", "S3": "B.L."}


def test_display_labels_by_mode() -> None:
    assert display_labels(STUDENTS, None)["S3"] == "Bo Li"
    assert display_labels(STUDENTS, INITIALS)["S3"] == "B.L."
    assert display_labels(STUDENTS, PSEUDONYM)["S3"].startswith("Student ")


def test_escape_markdown_shows_user_text_literally() -> None:
    assert escape_markdown("**bold** <script>") == r"\*\*bold\*\* \<script\>"
    assert escape_markdown("[x](javascript:alert(1))").startswith(r"\[x\]\(")


ALLOW = {"editors": ["lead@district.org"], "viewers": ["@district.org", "Aide@Other.org"]}


def test_roles_from_the_allowlist() -> None:
    assert role_for("lead@district.org", ALLOW) == EDITOR
    assert role_for("LEAD@district.org", ALLOW) == EDITOR
    assert role_for("teacher@district.org", ALLOW) == VIEWER  # domain entry
    assert role_for("aide@other.org", ALLOW) == VIEWER
    assert role_for("stranger@example.com", ALLOW) is None
    assert role_for(None, ALLOW) is None
    assert role_for("lead@district.org", None) is None


def test_only_editors_edit_and_outsiders_read_nothing() -> None:
    assert Access("a", EDITOR).can_edit and Access("a", EDITOR).can_read
    assert Access("a", VIEWER).can_read and not Access("a", VIEWER).can_edit
    assert not Access("a", None).can_read
    assert local_access().can_edit


def test_auth_is_configured_only_by_an_auth_section() -> None:
    assert not auth_configured({})
    assert not auth_configured({"access": ALLOW})
    assert auth_configured({"auth": {"client_id": "x"}})


def test_deidentified_audit_shows_labels_not_student_ids() -> None:
    import pandas as pd

    from pushin_rules.present import decision_log

    table = pd.DataFrame(
        {
            "when": ["2026-01-10 10:00 UTC"] * 2,
            "who": ["lee"] * 2,
            "what": ["Recorded a decision", "Replaced the district"],
            "details": [
                "decision 3: student S0001, service SV00001, adopted push_in 60 in class",
                "replace import: students: 60 added",
            ],
        }
    )
    out = decision_log.deidentify_audit(table, {"S0001": "Student 7QKD"})
    assert out["details"][0].startswith("decision 3: student Student 7QKD, service SV00001")
    assert "S0001" not in out.to_csv()
    assert out["details"][1] == "replace import: students: 60 added"
    unknown = decision_log.deidentify_audit(table, {})
    assert "S0001" not in unknown.to_csv() and "student (hidden)," in unknown["details"][0]
