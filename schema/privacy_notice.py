"""The public privacy notice (GDPR art. 13/14); values come from configuration, the retention
periods from the retention registry (``store.privacy.retention``)."""

from __future__ import annotations

import strawberry

from config.settings import Settings
from store.privacy.retention import RetentionRegistry, retention_registry


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
        retention=retention_text(retention_registry(settings.retention_file)),
        rights=_with_objection(list(n.rights)),
        automated_decision_making=n.automated_decision_making,
    )


#: the right to object (GDPR art. 21), named in the notice even if the configured rights omit it
OBJECTION = (
    "Objection to processing based on a task in the public interest (art. 21), on grounds "
    "relating to your particular situation"
)


def _with_objection(rights: list[str]) -> list[str]:
    if any("art. 21" in right for right in rights):
        return rights
    return [*rights[:-1], OBJECTION, *rights[-1:]] if rights else [OBJECTION]


def retention_text(registry: RetentionRegistry) -> str:
    """The retention periods of the registry in words, one sentence per data category."""
    periods = " ".join(
        f"{rule.category.value.replace('_', ' ').capitalize()}: "
        f"{rule.keep_for.describe()} ({rule.keep_for.text}); purpose: {rule.purpose}; "
        f"legal basis: {rule.legal_basis}."
        for rule in registry.rules
    )
    return (
        "As long as you are a student, employee or guardian at the school. After you leave, "
        f"each category is kept for its period, counted from your leaving, then erased. {periods}"
    )
