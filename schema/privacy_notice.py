"""The public privacy notice (GDPR art. 13/14); values come from configuration."""

from __future__ import annotations

import strawberry


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
