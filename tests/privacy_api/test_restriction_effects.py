"""Restriction of processing through the API (docs/privacy-actions.md §2), row by row of its table.

A gateway of its own per backend. For the student, the teacher and the guardian in turn
(``privacy_cases``): every case's probe runs while the person is ACTIVE, then
``restrictProcessing``, the probes again (and the recycle bin, for each role), then
``liftRestriction`` and the probes a third time. JSON exports before restricting and after
lifting are compared, and the person's notifications are read (as the person) before and after.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import GraphQLResult, LiveGateway
from privacy_api_support import (
    ADMIN,
    JUSTIFICATION,
    export_json,
    lift,
    privacy_gateway,
    privacy_request,
    restrict,
)
from privacy_cases import (
    CASES,
    SUBJECTS,
    VIEWERS,
    Case,
    Demo,
    Observations,
    count_problems,
    labels,
    observe_subject,
    prepare,
)

from resolvers.services import notices

RECYCLE_BIN = """
{ recycleBin(first: 100) {
    totalCount edges { node { id displayName processingState } } } }
"""
NOTIFICATIONS = "{ viewer { notifications { id kind message } } }"

#: docs/privacy-actions.md §2 as (category, outcome) pairs, for the people's data in the demo.
RESTRICTION_EFFECTS = {
    "elev.ola": {
        ("PERSONAL_DATA", "HIDDEN"),
        ("COMMUNICATION", "PSEUDONYMISED"),
        ("TEACHING_MATERIAL", "PSEUDONYMISED"),  # the document shared to Norsk 8
        ("TEACHING_MATERIAL", "HIDDEN"),  # the private one
        ("ASSESSMENTS", "HIDDEN"),  # about the student
        ("CALENDAR", "HIDDEN"),  # personal
        ("STUDENT_ANSWERS", "HIDDEN"),
        ("INTERNAL_LOGIC", "HIDDEN"),
    },
    "larer.hansen": {
        ("PERSONAL_DATA", "HIDDEN"),
        ("COMMUNICATION", "PSEUDONYMISED"),
        ("TEACHING_MATERIAL", "PSEUDONYMISED"),
        ("TEACHING_MATERIAL", "HIDDEN"),
        ("ASSESSMENTS", "KEPT"),  # given by the teacher: still shown, not anonymised
        ("CALENDAR", "PSEUDONYMISED"),  # the course event
        ("CALENDAR", "HIDDEN"),  # the personal one
        ("INTERNAL_LOGIC", "HIDDEN"),
    },
    "foresatt.kari": {
        ("PERSONAL_DATA", "HIDDEN"),
        ("COMMUNICATION", "PSEUDONYMISED"),
        ("TEACHING_MATERIAL", "HIDDEN"),
        ("CALENDAR", "HIDDEN"),
        ("INTERNAL_LOGIC", "HIDDEN"),
    },
}


@dataclass
class Restriction:
    before: Observations
    during: Observations
    lifted: Observations
    restrict_request: dict[str, Any]
    lift_request: dict[str, Any]
    #: role -> the viewer's recycleBin while the person is restricted, and after lifting
    bin_during: dict[str, GraphQLResult]
    bin_lifted: GraphQLResult
    request_during: dict[str, Any]
    export_before: dict[str, Any]
    export_after: dict[str, Any]
    notifications_before: list[dict[str, Any]]
    notifications_after: list[dict[str, Any]]


@dataclass
class Story:
    live: LiveGateway
    demo: Demo
    subjects: dict[str, Restriction]


def notifications(live: LiveGateway, username: str) -> list[dict[str, Any]]:
    result = live.gql(NOTIFICATIONS, as_user=username)
    assert result.errors == [], result.errors
    return list(result.data["viewer"]["notifications"])


def run_restriction(live: LiveGateway, demo: Demo, subject: str) -> Restriction:
    export_before = export_json(live, subject)
    notifications_before = notifications(live, subject)
    before = observe_subject(live, demo, subject, active=True)
    restricted = restrict(live, subject)
    during = observe_subject(live, demo, subject)
    bin_during = {
        role: live.gql(RECYCLE_BIN, as_user=viewer) for role, viewer in VIEWERS[subject].items()
    }
    request_during = privacy_request(live, restricted["id"])
    lifted_request = lift(live, subject)
    lifted = observe_subject(live, demo, subject, active=True)
    return Restriction(
        before=before,
        during=during,
        lifted=lifted,
        restrict_request=restricted,
        lift_request=lifted_request,
        bin_during=bin_during,
        bin_lifted=live.gql(RECYCLE_BIN, as_user=ADMIN),
        request_during=request_during,
        export_before=export_before,
        export_after=export_json(live, subject),
        notifications_before=notifications_before,
        notifications_after=notifications(live, subject),
    )


@pytest.fixture(scope="module", params=BACKENDS)
def story(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Story]:
    with privacy_gateway(request.param, tmp_path_factory, "restriction") as live:
        demo = prepare(live)
        yield Story(live, demo, {s: run_restriction(live, demo, s) for s in SUBJECTS})


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_category_row_while_restricted(story: Story, case: Case) -> None:
    observed = story.subjects[case.subject]
    key = (case.viewer, case.probe)
    assert observed.before[key].outcome == case.before, observed.before[key]
    assert observed.during[key].outcome == case.after, observed.during[key]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_lifting_restores_every_row(story: Story, subject: str) -> None:
    observed = story.subjects[subject]
    assert observed.lifted == observed.before


def test_totals_drop_while_restricted_and_come_back(story: Story) -> None:
    """A list leaves the person out in SQL: totalCount is one lower, and whole again after."""
    drops = 0
    for observed in story.subjects.values():
        dropped, problems = count_problems(observed.before, observed.during)
        assert problems == []
        assert count_problems(observed.before, observed.lifted) == (0, [])
        drops += dropped
    assert drops >= 10


def _comparable(export: dict[str, Any]) -> dict[str, Any]:
    """The export without its request bookkeeping (request id, time of generation), without
    the notification that lifting the restriction creates, and without the staff access log's
    entries (downloading the first export is itself a logged read the second one shows)."""
    found = copy.deepcopy(export)
    header = found["export"]
    del header["request_id"], header["generated_at"]
    found["data"]["personal_data"] = [
        item
        for item in found["data"]["personal_data"]
        if not (item["kind"] == "notification" and item["fields"]["kind"] == "RESTRICTION_LIFTED")
        and item["kind"] != "access_log_entry"
    ]
    return found


@pytest.mark.parametrize("subject", SUBJECTS)
def test_lifting_restores_exactly_what_the_export_shows(story: Story, subject: str) -> None:
    observed = story.subjects[subject]
    assert (
        observed.export_after["export"]["request_id"]
        != observed.export_before["export"]["request_id"]
    )
    assert _comparable(observed.export_after) == _comparable(observed.export_before)
    profile = next(
        i for i in observed.export_after["data"]["personal_data"] if i["kind"] == "profile"
    )
    assert profile["fields"]["processing_state"] == "ACTIVE"
    assert profile["fields"]["restricted_at"] is None


@pytest.mark.parametrize("subject", SUBJECTS)
def test_lifting_notifies_the_person(story: Story, subject: str) -> None:
    observed = story.subjects[subject]
    known = {n["id"] for n in observed.notifications_before}
    new = [n for n in observed.notifications_after if n["id"] not in known]
    assert [n["kind"] for n in new] == ["RESTRICTION_LIFTED"]
    # in the person's language: the demo people have chosen none, so Norwegian Bokmål
    assert new[0]["message"] == notices.text("RESTRICTION_LIFTED", "nb")


@pytest.mark.parametrize("subject", SUBJECTS)
def test_one_stand_in_per_person_everywhere(story: Story, subject: str) -> None:
    """Posts, comments, messages, material and events, seen by different roles in different
    requests, show the same stand-in for the same person."""
    found = labels(story.subjects[subject].during)
    assert len(found) == 1, found
    assert labels(story.subjects[subject].before) == set()


def test_different_people_have_different_stand_ins(story: Story) -> None:
    stand_ins = [labels(observed.during) for observed in story.subjects.values()]
    assert len(set().union(*stand_ins)) == len(SUBJECTS)


def test_a_stand_in_id_leads_nowhere(story: Story) -> None:
    """The stand-in's id does not decode to, nor look up, the person (also for the admin)."""
    live = story.live
    for observed in story.subjects.values():
        ((stand_in, _),) = labels(observed.during)
        result = live.gql(
            "query($id: ID!) { user(id: $id) { id } node(id: $id) { id } }",
            {"id": stand_in},
            as_user=ADMIN,
        )
        assert result.data is None or result.data == {"user": None, "node": None}, result
        assert result.codes() <= {"NOT_FOUND", "BAD_USER_INPUT"}, result.errors


@pytest.mark.parametrize("subject", SUBJECTS)
def test_recycle_bin_lists_the_restricted_person_for_administrators_only(
    story: Story, subject: str
) -> None:
    observed = story.subjects[subject]
    person_id = story.live.person_id(subject)
    for role, result in observed.bin_during.items():
        assert result.errors == [], result.errors
        page = result.data["recycleBin"]
        if role == "SYSTEM_ADMINISTRATOR":
            nodes = [edge["node"] for edge in page["edges"]]
            assert [n["id"] for n in nodes] == [person_id]
            assert page["totalCount"] == 1
            assert nodes[0]["processingState"] == "RESTRICTED"
            assert nodes[0]["displayName"]  # the real person, not a stand-in
            assert not nodes[0]["displayName"].startswith("Former user")
        else:
            assert page == {"totalCount": 0, "edges": []}, role
    assert observed.bin_lifted.data["recycleBin"]["totalCount"] == 0


@pytest.mark.parametrize("subject", SUBJECTS)
def test_restriction_request_reports_each_category(story: Story, subject: str) -> None:
    observed = story.subjects[subject]
    request = observed.restrict_request
    assert (request["action"], request["status"]) == ("RESTRICT", "COMPLETED")
    assert request["justification"] == JUSTIFICATION
    assert request["subject"]["id"] == story.live.person_id(subject)
    assert request["requestedBy"]["id"] == story.live.person_id(ADMIN)
    effects = {(e["category"], e["outcome"]) for e in request["effects"]}
    assert effects == RESTRICTION_EFFECTS[subject]
    assert all(e["count"] > 0 for e in request["effects"])
    # The privacy tool shows the restricted person in full to the administrator.
    subject_seen = observed.request_during["subject"]
    assert subject_seen["processingState"] == "RESTRICTED"
    assert subject_seen["isPseudonym"] is False
    lifted = observed.lift_request
    assert (lifted["action"], lifted["status"]) == ("LIFT_RESTRICTION", "COMPLETED")
    assert lifted["subject"]["processingState"] == "ACTIVE"
