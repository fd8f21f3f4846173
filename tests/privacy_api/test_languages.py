"""Languages (docs/interfaces.md, "Languages"): the privacy notice and notifications in Norwegian
Bokmål or English, through ``POST /graphql`` on both backends.

The notice's language is its ``language`` argument, else the viewer's stored preference, else
the request's ``Accept-Language``, else Bokmål; a notification's is its recipient's preference,
else Bokmål (never the header of whoever caused it). ``User.preferredLanguage`` is read by the
person and system administrators; ``setPreferredLanguage`` sets the viewer's own. The preference
is personal data: exported with the profile, cleared by erasure.

A gateway of its own per backend: preferences are set, people restricted and erased.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway
from privacy_api_support import (
    ADMIN,
    ROLE_VIEWERS,
    confirm_erasure,
    export,
    lift,
    ok,
    privacy_gateway,
    request_erasure,
    restrict,
    wait_until_finished,
)
from sqlalchemy import select

from resolvers.services.notices import TEXTS
from store import tables as t
from store.privacy.schema_check import validate_xml

NOTICE = "{ privacyNotice { language legalBasis retention rights automatedDecisionMaking } }"
NOTICE_IN = """
query($language: Language) {
  privacyNotice(language: $language) { language retention rights }
}"""
SET = """
mutation($language: Language) {
  setPreferredLanguage(language: $language) { id preferredLanguage }
}"""
PREFERRED = "query($id: ID!) { user(id: $id) { id preferredLanguage } }"
NOTIFICATIONS = "{ viewer { notifications { kind message } } }"
ASSESS = """
mutation($input: AssessInput!) { assess(input: $input) { id } }"""
UPDATE_ASSESSMENT = """
mutation($id: ID!, $input: AssessmentUpdateInput!) {
  updateAssessment(id: $id, input: $input) { id }
}"""
MAT8 = "c-bjs-mat8"


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with privacy_gateway(request.param, tmp_path_factory, "languages") as gateway:
        yield gateway


def notice(
    live: LiveGateway, accept_language: str | None = None, as_user: str | None = None
) -> dict[str, Any]:
    headers = {} if accept_language is None else {"Accept-Language": accept_language}
    result = live.gql(NOTICE, headers=headers, as_user=as_user)
    assert result.errors == [], result.errors
    return result.data["privacyNotice"]  # type: ignore[no-any-return]


def set_language(live: LiveGateway, who: str, language: str | None) -> dict[str, Any]:
    return ok(live.gql(SET, {"language": language}, as_user=who))  # type: ignore[no-any-return]


# --- the privacy notice ------------------------------------------------------------------------


def test_the_notice_is_in_bokmaal_by_default(live: LiveGateway) -> None:
    found = notice(live)
    assert found["language"] == "NB"
    assert "art. 6 nr. 1 bokstav e" in found["legalBasis"]
    assert found["automatedDecisionMaking"].startswith("Det treffes ingen automatiserte")
    # the registry's periods, in Bokmål words, with its Bokmål purposes
    assert "Så lenge du er elev, ansatt eller foresatt ved skolen" in found["retention"]
    assert "Vurderinger: 5 år (P5Y); formål: Dokumentere vurderinger" in found["retention"]
    assert "Personopplysninger: 6 måneder (P6M)" in found["retention"]
    # the right to object (art. 21), in Bokmål
    objection = [right for right in found["rights"] if "(art. 21)" in right]
    assert len(objection) == 1 and objection[0].startswith("Protest mot behandling")
    assert found["rights"][-1] == "Klage til tilsynsmyndigheten, Datatilsynet"


def test_accept_language_en_gives_english(live: LiveGateway) -> None:
    found = notice(live, "en")
    assert found["language"] == "EN"
    assert "6(1)(e)" in found["legalBasis"]
    assert "Assessments: 5 years (P5Y); purpose: Documenting assessments" in found["retention"]
    assert any(right.startswith("Objection to processing") for right in found["rights"])


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("nb;q=0.5, en;q=0.9", "EN"),  # the higher quality wins, wherever it stands
        ("en-GB,en;q=0.9,nb;q=0.8", "EN"),
        ("nb-NO, en;q=0.9", "NB"),
        ("no", "NB"),  # "Norwegian" reads as Bokmål
        ("nn-NO", "NB"),  # Nynorsk readers get Bokmål rather than English
        ("de-DE, fr;q=0.8", "NB"),  # nothing Tavle has: Bokmål
        ("*", "NB"),
        ("en;q=0", "NB"),  # q=0: "not English"
        ("sv, en;q=0.1", "EN"),  # the only supported one, however low
        ("en;q=abc", "NB"),  # a malformed quality leaves the entry out
    ],
)
def test_the_header_chooses_among_the_supported_languages(
    live: LiveGateway, header: str, language: str
) -> None:
    assert notice(live, header)["language"] == language


def test_the_argument_beats_preference_and_header(live: LiveGateway) -> None:
    set_language(live, "larer.dahl", "NB")
    for who in (None, "larer.dahl"):
        for header in ({}, {"Accept-Language": "nb"}):
            result = live.gql(NOTICE_IN, {"language": "EN"}, headers=header, as_user=who)
            assert ok(result)["language"] == "EN"
    english = ok(live.gql(NOTICE_IN, {"language": "EN"}))
    assert english == ok(live.gql(NOTICE_IN, headers={"Accept-Language": "en"}))
    # a null argument is no choice: the request's language then
    assert ok(live.gql(NOTICE_IN, {"language": None}, as_user="larer.dahl"))["language"] == "NB"


def test_the_argument_is_answered_alike_by_both_executors(live: LiveGateway) -> None:
    """A query with introspection runs on graphql-core, one without on the compiled plan."""
    planned = live.gql("{ privacyNotice(language: EN) { language rights } }")
    core = live.gql(
        "{ privacyNotice(language: EN) { language rights } __schema { queryType { name } } }"
    )
    assert planned.errors == core.errors == []
    assert planned.data["privacyNotice"] == core.data["privacyNotice"]
    assert planned.data["privacyNotice"]["language"] == "EN"


def test_the_stored_preference_beats_the_header(live: LiveGateway) -> None:
    who = "larer.lie"
    assert notice(live, "en", as_user=who)["language"] == "EN"  # no preference: the header
    assert set_language(live, who, "NB")["preferredLanguage"] == "NB"
    assert notice(live, "en", as_user=who)["language"] == "NB"
    assert set_language(live, who, "EN")["preferredLanguage"] == "EN"
    assert notice(live, "nb", as_user=who)["language"] == "EN"
    assert notice(live, None, as_user=who)["language"] == "EN"
    # cleared: the header again, else Bokmål
    assert set_language(live, who, None)["preferredLanguage"] is None
    assert notice(live, "en", as_user=who)["language"] == "EN"
    assert notice(live, None, as_user=who)["language"] == "NB"


def test_the_language_is_read_with_the_caller_in_no_extra_statement(live: LiveGateway) -> None:
    """The preference comes with the statement that finds the caller: a notice costs the
    same statements with and without one."""
    live.gql(NOTICE, as_user="larer.moen")  # the viewer is kept from now on
    with live.count_sql() as without:
        assert notice(live, "en", as_user="larer.moen")["language"] == "EN"
    set_language(live, "larer.moen", "NB")
    live.gql(NOTICE, as_user="larer.moen")
    with live.count_sql() as with_one:
        assert notice(live, "en", as_user="larer.moen")["language"] == "NB"
    assert len(with_one) == len(without)


# --- notifications -----------------------------------------------------------------------------


def notifications(live: LiveGateway, who: str, kind: str) -> list[str]:
    result = live.gql(NOTIFICATIONS, as_user=who)
    assert result.errors == [], result.errors
    return [n["message"] for n in result.data["viewer"]["notifications"] if n["kind"] == kind]


def test_notifications_arrive_in_the_recipients_language(live: LiveGateway) -> None:
    student = "elev.ola"
    # No preference: Bokmål, whatever language the administrator's request asked for.
    restrict(live, student)
    lifted = live.gql(
        """mutation($s: ID!, $j: String!) { liftRestriction(subjectId: $s, justification: $j) {
             id } }""",
        {"s": live.person_id(student), "j": "The person asked for it (ticket PV-1)"},
        as_user=ADMIN,
        headers={"Accept-Language": "en"},
    )
    ok(lifted)
    assert notifications(live, student, "RESTRICTION_LIFTED") == [TEXTS["RESTRICTION_LIFTED"]["nb"]]
    # English once the student chose it, though the teacher's request asks for Bokmål.
    assert set_language(live, student, "EN")["preferredLanguage"] == "EN"
    assessed = live.gql(
        ASSESS,
        {
            "input": {
                "studentId": live.person_id(student),
                "courseId": live.course_id(MAT8),
                "kind": "FEEDBACK",
                "grade": "4",
            }
        },
        as_user="larer.hansen",
    )
    assessment = ok(assessed)["id"]
    corrected = live.gql(
        UPDATE_ASSESSMENT,
        {"id": assessment, "input": {"grade": "5"}},
        as_user="larer.hansen",
        headers={"Accept-Language": "nb"},
    )
    ok(corrected)
    assert notifications(live, student, "ASSESSMENT_CORRECTED") == [
        TEXTS["ASSESSMENT_CORRECTED"]["en"]
    ]
    # Written notifications keep their language: the earlier one stays in Bokmål.
    assert notifications(live, student, "RESTRICTION_LIFTED") == [TEXTS["RESTRICTION_LIFTED"]["nb"]]
    # Lifted again after choosing English: now in English.
    restrict(live, student)
    lift(live, student)
    assert notifications(live, student, "RESTRICTION_LIFTED") == [
        TEXTS["RESTRICTION_LIFTED"]["nb"],
        TEXTS["RESTRICTION_LIFTED"]["en"],
    ]


# --- the policy --------------------------------------------------------------------------------

#: who reads elev.sara's preferredLanguage: herself and system administrators
READERS = {
    "elev.sara": "OK",
    ADMIN: "OK",
    "admin2": "OK",
    "larer.hansen": "FORBIDDEN",  # her contact teacher
    "rektor.bjolsen": "FORBIDDEN",
    "superuser.bjolsen": "FORBIDDEN",
    "elev.jakob": "FORBIDDEN",  # a classmate
    "foresatt.kari": "NOT_FOUND",  # not her guardian: she does not see Sara at all
}


@pytest.mark.parametrize(("who", "outcome"), list(READERS.items()))
def test_who_reads_the_preferred_language(live: LiveGateway, who: str, outcome: str) -> None:
    set_language(live, "elev.sara", "EN")
    result = live.gql(PREFERRED, {"id": live.person_id("elev.sara")}, as_user=who)
    if outcome == "OK":
        assert result.errors == []
        assert result.data["user"]["preferredLanguage"] == "EN"
    elif outcome == "FORBIDDEN":
        assert result.data["user"]["preferredLanguage"] is None
        assert result.code_at("user", "preferredLanguage") == "FORBIDDEN"
    else:
        assert result.data["user"] is None
        assert result.codes() == {"NOT_FOUND"}


def test_a_guardian_does_not_read_the_childs_preferred_language(live: LiveGateway) -> None:
    set_language(live, "elev.nora", "EN")
    result = live.gql(PREFERRED, {"id": live.person_id("elev.nora")}, as_user="foresatt.kari")
    assert result.data["user"]["id"] == live.person_id("elev.nora")
    assert result.code_at("user", "preferredLanguage") == "FORBIDDEN"


@pytest.mark.parametrize("role", list(ROLE_VIEWERS))
def test_everyone_sets_their_own_language_and_it_is_audited(live: LiveGateway, role: str) -> None:
    who = ROLE_VIEWERS[role]
    a = t.audit_entries.c
    before = live.scalar(select(a.id).order_by(a.id.desc()).limit(1))
    found = set_language(live, who, "EN")
    assert found == {"id": live.person_id(who), "preferredLanguage": "EN"}
    p = t.people.c
    assert live.scalar(select(p.preferred_language).where(p.id == live.person_pk(who))) == "en"
    entries = live.rows(select(t.audit_entries).where(a.id > before).order_by(a.id))
    assert [(e.action, e.actor_id, e.subject_id) for e in entries] == [
        ("SET_PREFERRED_LANGUAGE", live.person_pk(who), live.person_pk(who))
    ]
    # the entry names the person, not the language
    assert entries[0].detail is None and entries[0].justification is None
    assert set_language(live, who, None)["preferredLanguage"] is None


def test_anonymous_callers_set_no_language(live: LiveGateway) -> None:
    result = live.gql(SET, {"language": "EN"})
    assert result.codes() == {"UNAUTHENTICATED"}
    assert result.data is None


def test_an_unknown_language_is_refused_before_anything_runs(live: LiveGateway) -> None:
    response = live.client.post(
        f"{live.url}/graphql",
        json={"query": SET, "variables": {"language": "DE"}},
        headers={"Authorization": f"Bearer {live.token('elev.jakob')}"},
    )
    body = response.json()
    assert "data" not in body or body["data"] is None
    assert body["errors"]
    p = t.people.c
    stored = live.scalar(select(p.preferred_language).where(p.id == live.person_pk("elev.jakob")))
    assert stored is None


# --- privacy coverage --------------------------------------------------------------------------


def test_the_preference_is_exported_and_erased(live: LiveGateway, tmp_path: Path) -> None:
    subject = "elev.amina"
    set_language(live, subject, "EN")
    _finished, body = export(live, subject, "JSON")
    profile = next(
        item for item in json.loads(body)["data"]["personal_data"] if item["kind"] == "profile"
    )
    assert profile["fields"]["preferred_language"] == "en"
    _finished, xml = export(live, subject, "XML")
    path = tmp_path / "export.xml"
    path.write_bytes(xml)
    validate_xml(path)  # the element is declared in the export schema
    assert b"<preferred_language>en</preferred_language>" in xml

    requested = request_erasure(live, subject)
    confirmed = confirm_erasure(live, requested["id"])
    if confirmed["status"] != "COMPLETED":  # a large erasure runs as a background job
        confirmed = wait_until_finished(live, requested["id"])
    assert confirmed["status"] == "COMPLETED", confirmed
    p = t.people.c
    row = live.rows(
        select(p.preferred_language, p.processing_state).where(p.id == live.person_pk(subject))
    )[0]
    assert row.processing_state == "ERASED"
    assert row.preferred_language is None
