"""The public privacy notice (GDPR art. 13/14); values come from configuration."""

from __future__ import annotations

import strawberry

from config.settings import Settings


@strawberry.type
class PrivacyNotice:
    controller: str
    data_protection_officer: str
    purposes: list[str]
    legal_basis: str
    categories: list[str]
    sources: list[str]
    recipients: list[str]
    third_country_transfers: str
    retention: str
    rights: list[str]
    automated_decision_making: str


def notice_from_settings(settings: Settings) -> PrivacyNotice:
    n = settings.privacy_notice
    return PrivacyNotice(
        controller=n.controller,
        data_protection_officer=n.data_protection_officer,
        purposes=list(n.purposes),
        legal_basis=n.legal_basis,
        categories=list(n.categories),
        sources=list(n.sources),
        recipients=list(n.recipients),
        third_country_transfers=n.third_country_transfers,
        retention=n.retention,
        rights=list(n.rights),
        automated_decision_making=n.automated_decision_making,
    )
