"""Strategic scoring: criteria edits, scores in half steps, the weighted score and the ranking."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pmo_desktop.model import AuditEvent, ProjectScore, StrategicCriterion
from pmo_desktop.model.database import open_database
from pmo_desktop.services import portfolio, scoring
from pmo_desktop.services.errors import ConflictError, ValidationError


@pytest.fixture
def db(tmp_path):
    database = open_database(f"sqlite:///{tmp_path}/scoring.db", backup=False)
    with database.transaction() as session:
        for criterion in session.scalars(select(StrategicCriterion)):
            session.delete(criterion)
    yield database
    database.dispose()


def _criterion(db, name: str, weight: float) -> int:
    with db.transaction() as session:
        return scoring.create_criterion(session, {"name": name, "weight": weight})


def _project(db, code: str, stage: str = "idea") -> int:
    with db.transaction() as session:
        return portfolio.create_project(session, {"code": code, "name": f"Project {code}", "stage": stage})


def _score(db, project_id: int, scores: dict) -> dict:
    with db.transaction() as session:
        return scoring.set_scores(session, project_id, scores)


@pytest.fixture
def office(db):
    """Two criteria (weights 3 and 1) and four projects: three proposals and one in execution."""
    value, risk = _criterion(db, "Value", 3), _criterion(db, "Risk", 1)
    ids = {code: _project(db, code, stage) for code, stage in
           (("A", "idea"), ("B", "business_case"), ("C", "idea"), ("D", "execution"), ("E", "idea"))}
    _score(db, ids["A"], {value: 4, risk: 2})      # (12 + 2) / 4 = 3.5
    _score(db, ids["B"], {value: 3, risk: 5})      # (9 + 5) / 4 = 3.5: ties with A
    _score(db, ids["C"], {value: 5})               # 15 / 4 = 3.75: Risk unscored counts as 0
    _score(db, ids["D"], {value: 1, risk: 1})      # 4 / 4 = 1.0, ranked among active projects
    return db, ids, value, risk


def test_weighted_score_divides_by_every_criterion_and_ties_share_a_rank(office):
    db, ids, _value, _risk = office
    with db.session() as session:
        rows = {r.code: r for r in scoring.ranking(session)}
    assert rows["C"].weighted_score == pytest.approx(3.75)
    assert rows["A"].weighted_score == pytest.approx(3.5)
    assert rows["B"].weighted_score == pytest.approx(3.5)
    assert (rows["C"].rank, rows["A"].rank, rows["B"].rank) == (1, 2, 2)
    assert rows["E"].rank is None and rows["E"].weighted_score is None
    assert rows["C"].scored == 1 and not rows["C"].complete and rows["A"].complete
    assert (rows["D"].group, rows["D"].rank) == ("active", 1)
    with db.session() as session:
        order = [r.code for r in scoring.ranking(session)]
    assert order == ["C", "A", "B", "E", "D"]


def test_project_scoring_gives_rank_in_its_group(office):
    db, ids, value, risk = office
    with db.session() as session:
        mine = scoring.project_scoring(session, ids["B"])
    assert mine.rank == 2 and mine.group == "proposal" and mine.group_size == 4
    assert mine.weighted_score == pytest.approx(3.5)
    assert {s.name: s.score for s in mine.scores} == {"Value": 3, "Risk": 5}


def test_weights_change_the_ranking(office):
    db, ids, value, risk = office
    with db.transaction() as session:
        version = scoring.get_criterion(session, risk).version
        scoring.update_criterion(session, risk, {"weight": 3}, version)
    with db.session() as session:
        rows = {r.code: r for r in scoring.ranking(session)}
    # B: (9 + 15) / 6 = 4.0 now beats C: 15 / 6 = 2.5 and A: (12 + 6) / 6 = 3.0
    assert rows["B"].rank == 1 and rows["A"].rank == 2 and rows["C"].rank == 3
    assert rows["B"].weighted_score == pytest.approx(4.0)


@pytest.mark.parametrize(("value", "message"), [
    (5.5, "from 0 to 5"), (-1, "from 0 to 5"), (3.3, "half steps"), ("high", "number from 0 to 5")])
def test_scores_must_be_0_to_5_in_half_steps(office, value, message):
    db, ids, value_id, _risk = office
    with pytest.raises(ValidationError) as info, db.transaction() as session:
        scoring.set_scores(session, ids["E"], {value_id: value})
    assert message in str(info.value) and "Value" in str(info.value)
    with db.session() as session:
        assert session.scalar(select(ProjectScore).where(ProjectScore.project_id == ids["E"])) is None


def test_set_scores_returns_before_clears_and_is_audited(office):
    db, ids, value, risk = office
    before = _score(db, ids["A"], {value: 2.5, risk: None})
    assert before == {value: 4, risk: 2}
    with db.session() as session:
        mine = scoring.project_scoring(session, ids["A"])
        events = session.scalars(select(AuditEvent).where(AuditEvent.entity == "project_score")).all()
    assert {s.name: s.score for s in mine.scores} == {"Value": 2.5, "Risk": None}
    assert {e.action for e in events} >= {"insert", "update", "delete"}


def test_stale_score_versions_conflict(office):
    db, ids, value, risk = office
    with db.session() as session:
        seen = scoring.project_scoring(session, ids["A"]).versions
    _score(db, ids["A"], {value: 1})
    with pytest.raises(ConflictError) as info, db.transaction() as session:
        scoring.set_scores(session, ids["A"], {value: 5}, seen)
    assert info.value.theirs == {"Value": 1}


def test_criterion_validation_and_conflict(office):
    db, _ids, value, _risk = office
    with pytest.raises(ValidationError) as info, db.transaction() as session:
        scoring.create_criterion(session, {"name": " value ", "weight": -2})
    assert info.value.for_field("name") == "There is already a criterion called 'value'."
    assert "cannot be negative" in info.value.for_field("weight")
    with pytest.raises(ConflictError), db.transaction() as session:
        scoring.update_criterion(session, value, {"weight": 2}, expected_version=99)


def test_delete_and_restore_criterion_brings_scores_back(office):
    db, ids, value, _risk = office
    with db.transaction() as session:
        snapshot = scoring.delete_criterion(session, value, None)
    with db.session() as session:
        assert scoring.ranking(session)[0].code == "B"  # only Risk is left: B scored 5
    with db.transaction() as session:
        restored = scoring.restore_criterion(session, snapshot)
    assert restored == value
    with db.session() as session:
        assert [r.code for r in scoring.ranking(session)][:3] == ["C", "A", "B"]


def test_zero_total_weight_gives_no_weighted_score(office):
    db, ids, value, risk = office
    with db.transaction() as session:
        for cid in (value, risk):
            scoring.update_criterion(session, cid, {"weight": 0}, None)
    with db.session() as session:
        assert all(r.weighted_score is None and r.rank is None for r in scoring.ranking(session))
