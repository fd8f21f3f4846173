"""The operation limits in force, taken once from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from config.settings import Settings


@dataclass(frozen=True, slots=True)
class OperationLimits:
    """What one GraphQL request may ask for (docs/security.md, "Operation limits")."""

    #: estimated fields the response can hold, lists weighted by ``first`` (``gateway.limits.cost``)
    max_cost: int
    #: levels of nested fields, fragments expanded
    max_depth: int
    #: aliases in the document, fragments expanded
    max_aliases: int
    #: fields in the document, fragments expanded
    max_fields: int
    #: lexical tokens (comments included) of the document text
    max_tokens: int
    #: root fields of one mutation operation
    max_root_mutations: int
    #: wall-clock seconds an operation may execute before it is cancelled
    timeout_seconds: float
    #: ``first`` of a connection that does not give one (``TAVLE_DEFAULT_PAGE_SIZE``)
    default_page_size: int
    #: the largest ``first`` a connection accepts (``TAVLE_MAX_PAGE_SIZE``)
    max_page_size: int
    #: ``__schema`` and ``__type`` answer; otherwise they are refused in validation
    introspection: bool

    @property
    def suggestions(self) -> bool:
        """Whether errors may hint "Did you mean ...": they name schema elements, so only where
        introspection is on."""
        return self.introspection

    @classmethod
    def from_settings(cls, settings: Settings) -> OperationLimits:
        return cls(
            max_cost=settings.max_query_cost,
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_fields=settings.max_fields,
            max_tokens=settings.max_tokens,
            max_root_mutations=settings.max_root_mutations,
            timeout_seconds=settings.execution_timeout_seconds,
            default_page_size=settings.default_page_size,
            max_page_size=settings.max_page_size,
            introspection=settings.introspection_enabled,
        )
