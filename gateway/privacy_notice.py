"""The privacy notice's content, from settings (art. 13/14 information)."""

from __future__ import annotations

from config.settings import Settings
from schema.privacy_notice import PrivacyNotice


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
