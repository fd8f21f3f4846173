"""One privacy provider per data category, in the order of ``DataCategory``.

A test walks ``store.tables.metadata`` and fails when a table holding personal data is owned by
no provider (or by two).
"""

from __future__ import annotations

from store.privacy.base import DataCategory, PrivacyProvider
from store.privacy.providers._common import Sourced
from store.privacy.providers.assessments import AssessmentsProvider
from store.privacy.providers.calendar import CalendarProvider
from store.privacy.providers.communication import CommunicationProvider
from store.privacy.providers.data_requests import DataRequestsProvider
from store.privacy.providers.files import FilesProvider
from store.privacy.providers.internal_logic import InternalLogicProvider
from store.privacy.providers.personal_data import (
    AlreadyErasedError,
    PersonalDataProvider,
    UnknownSubjectError,
)
from store.privacy.providers.student_answers import StudentAnswersProvider
from store.privacy.providers.teaching_material import TeachingMaterialProvider

PROVIDERS: tuple[PrivacyProvider, ...] = (
    PersonalDataProvider(),
    CommunicationProvider(),
    TeachingMaterialProvider(),
    AssessmentsProvider(),
    CalendarProvider(),
    StudentAnswersProvider(),
    FilesProvider(),
    DataRequestsProvider(),
    InternalLogicProvider(),
)


def provider_for(category: DataCategory) -> PrivacyProvider:
    for provider in PROVIDERS:
        if provider.category == category:
            return provider
    raise LookupError(category)


__all__ = [
    "PROVIDERS",
    "AlreadyErasedError",
    "AssessmentsProvider",
    "CalendarProvider",
    "CommunicationProvider",
    "DataRequestsProvider",
    "FilesProvider",
    "InternalLogicProvider",
    "PersonalDataProvider",
    "Sourced",
    "StudentAnswersProvider",
    "TeachingMaterialProvider",
    "UnknownSubjectError",
    "provider_for",
]
