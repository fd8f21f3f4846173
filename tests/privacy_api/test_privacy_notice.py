"""``privacyNotice`` (docs/privacy-actions.md "Transparency", art. 13/14): public, complete, and
configured.

A gateway of its own per backend, configured the documented way, through the environment
(``TAVLE_PRIVACY_NOTICE__CONTROLLER`` ...; lists as JSON), for some fields; the others keep
their defaults. The English notice is asked for by its argument (``language: EN``); the Bokmål
one, the default, shows the fields configured only in English too, and its own defaults for the
rest (tests/api/test_languages.py covers the choice of language).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from db_support import BACKENDS
from gateway_support import LiveGateway
from privacy_api_support import ROLE_VIEWERS, privacy_gateway

from config.settings import BokmaalPrivacyNoticeSettings, PrivacyNoticeSettings
from schema.privacy_notice import OBJECTION, OBJECTIONS, retention_text
from store.privacy.retention import retention_registry

NOTICE = """
{ privacyNotice(language: EN) {
    controller dataProtectionOfficer purposes legalBasis categories sources recipients
    thirdCountryTransfers retention rights automatedDecisionMaking
} }
"""
CONFIGURED = {
    "controller": "Bergen kommune, Etat for skole, postmottak@skole.bergen.example",
    "dataProtectionOfficer": "Personvernombudet i Bergen kommune, personvern@bergen.example",
    "purposes": ["Opplæring etter opplæringslova", "Kontakt mellom skole og hjem"],
    "recipients": ["Lærere og ledelse ved skolen", "Foresatte, for egne barn"],
}
ENVIRONMENT = {
    "TAVLE_PRIVACY_NOTICE__CONTROLLER": CONFIGURED["controller"],
    "TAVLE_PRIVACY_NOTICE__DATA_PROTECTION_OFFICER": CONFIGURED["dataProtectionOfficer"],
    "TAVLE_PRIVACY_NOTICE__PURPOSES": json.dumps(CONFIGURED["purposes"]),
    "TAVLE_PRIVACY_NOTICE__RECIPIENTS": json.dumps(CONFIGURED["recipients"]),
}
DEFAULTS = PrivacyNoticeSettings()
DEFAULTED = {
    "legalBasis": DEFAULTS.legal_basis,
    "categories": DEFAULTS.categories,
    "sources": DEFAULTS.sources,
    "thirdCountryTransfers": DEFAULTS.third_country_transfers,
    # the periods of the retention registry (the shipped one here), not a configured text
    "retention": retention_text(retention_registry(None)),
    "rights": [*DEFAULTS.rights[:-1], OBJECTION, DEFAULTS.rights[-1]],
    "automatedDecisionMaking": DEFAULTS.automated_decision_making,
}


@pytest.fixture(scope="module", params=BACKENDS)
def gateway(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveGateway]:
    with ExitStack() as stack:
        # The environment is read once, when the gateway's settings are made at start-up.
        with pytest.MonkeyPatch.context() as environment:
            for name, value in ENVIRONMENT.items():
                environment.setenv(name, value)
            live = stack.enter_context(privacy_gateway(request.param, tmp_path_factory, "notice"))
        yield live


def test_the_notice_is_public(gateway: LiveGateway) -> None:
    anonymous = gateway.gql(NOTICE)
    assert anonymous.errors == []
    for viewer in ROLE_VIEWERS.values():
        assert gateway.gql(NOTICE, as_user=viewer) == anonymous
    # The only thing an anonymous caller may read.
    both = gateway.gql("{ privacyNotice { controller } viewer { id } }")
    assert both.data == {"privacyNotice": {"controller": CONFIGURED["controller"]}, "viewer": None}
    assert both.codes() == {"UNAUTHENTICATED"}


def test_every_field_is_present_and_not_empty(gateway: LiveGateway) -> None:
    notice = gateway.gql(NOTICE).data["privacyNotice"]
    assert set(notice) == set(CONFIGURED) | set(DEFAULTED)
    for name, value in notice.items():
        if isinstance(value, list):
            assert value and all(isinstance(v, str) and v.strip() for v in value), name
        else:
            assert isinstance(value, str) and value.strip(), name


def test_the_values_come_from_the_configuration(gateway: LiveGateway) -> None:
    notice = gateway.gql(NOTICE).data["privacyNotice"]
    assert {name: notice[name] for name in CONFIGURED} == CONFIGURED
    assert {name: notice[name] for name in DEFAULTED} == DEFAULTED


def test_the_default_notice_says_what_the_spec_asks(gateway: LiveGateway) -> None:
    notice = gateway.gql(NOTICE).data["privacyNotice"]
    rights = " ".join(notice["rights"]).lower()
    for right in ("access", "rectification", "erasure", "restriction", "objection", "complaint"):
        assert right in rights, right
    assert "supervisory authority" in rights
    assert "6(1)(e)" in notice["legalBasis"]
    assert notice["thirdCountryTransfers"].lower().startswith("none")
    assert "as long as you are a student, employee or guardian" in notice["retention"].lower()
    assert "(art. 21)" in rights
    assert "Assessments: 5 years (P5Y)" in notice["retention"]
    assert "Personal data: 6 months (P6M)" in notice["retention"]
    assert notice["automatedDecisionMaking"].lower().startswith("no automated decision")


def test_the_bokmaal_notice_shows_what_was_configured_in_english_only(
    gateway: LiveGateway,
) -> None:
    """Configured in English only, a field is shown as configured in Bokmål too: the shipped
    Bokmål default would name another controller. The other fields are the Bokmål defaults."""
    bokmaal = BokmaalPrivacyNoticeSettings()
    notice = gateway.gql(NOTICE.replace("(language: EN)", "")).data["privacyNotice"]
    assert {name: notice[name] for name in CONFIGURED} == CONFIGURED
    assert notice["legalBasis"] == bokmaal.legal_basis
    assert notice["categories"] == bokmaal.categories
    assert notice["thirdCountryTransfers"] == bokmaal.third_country_transfers
    assert notice["rights"] == [*bokmaal.rights[:-1], OBJECTIONS["nb"], bokmaal.rights[-1]]
    assert notice["retention"] == retention_text(retention_registry(None), "nb")
