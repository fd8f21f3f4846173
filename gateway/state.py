"""What the running gateway holds: settings, engine, policy, schemas, authenticator."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import strawberry
from graphql.execution import Executor
from sqlalchemy.ext.asyncio import AsyncEngine

from authz.policy import DEFAULT_MODEL, DEFAULT_POLICY, Policy
from authz.pseudonyms import Pseudonyms
from config.settings import Settings
from gateway.access_log import AccessLog
from gateway.auth import Authenticator
from gateway.compiled.executor import CompiledExecution
from gateway.http.rate_limit import RateLimits
from gateway.jobs import Handler
from gateway.keyfile import file_url_key, pseudonym_key
from gateway.limits import OperationLimits
from gateway.limits.discovery import SuggestionFreeExecutor
from gateway.limits.extension import OperationLimitsExtension
from gateway.limits.workers import GraphQLWorkers
from gateway.persisted_queries import PersistedQueries
from gateway.read_effects import ReadEffectsExtension
from gateway.telemetry import OperationSpan
from resolvers.events import EventHub
from resolvers.services import batch_erasure, privacy, school_export
from resolvers.viewer_cache import ViewerCache
from schema.build import build_schema
from schema.executor import TavleExecutor
from store.db import make_engine
from store.privacy.retention import parse_duration, retention_registry
from store.tables import PrivacyAction


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    policy: Policy
    schema: strawberry.Schema
    authenticator: Authenticator
    pseudonyms: Pseudonyms
    #: the process's rate-limit buckets (gateway/http/rate_limit.py): the address limit's
    #: middleware and the person limit's schema extension share them
    rate_limits: RateLimits
    #: what one operation may ask for (gateway/limits/, docs/security.md)
    limits: OperationLimits
    #: the threads that parse and validate documents, shared fairly between client addresses
    #: (gateway/limits/workers.py); stopped when the gateway stops
    graphql_workers: GraphQLWorkers
    #: background job handlers by action; the privacy services register theirs here and the
    #: worker started in the lifespan (``gateway.jobs``) runs them
    job_handlers: dict[PrivacyAction, Handler] = field(default_factory=dict)
    #: the compiled execution of read queries (``TAVLE_COMPILED_EXECUTION``): its plans and
    #: counts; None when it is off
    compiled: CompiledExecution | None = None
    #: the viewers this process loaded, checked against the database on every request
    #: (resolvers/viewer_cache.py)
    viewers: ViewerCache = field(default_factory=ViewerCache)
    #: the subscribers of this process and the events for them (gateway/subscriptions.py)
    events: EventHub = field(default_factory=EventHub)
    #: persisted queries and the safelist (gateway/persisted_queries.py)
    persisted_queries: PersistedQueries = field(default_factory=PersistedQueries)
    #: the key of files' download links (gateway/files.py); empty: no links
    file_url_key: bytes = b""
    #: the staff access log's buffer and writer (gateway/access_log.py), started in the lifespan
    access_log: AccessLog = field(default_factory=AccessLog)

    @classmethod
    def create(cls, settings: Settings, engine: AsyncEngine | None = None) -> AppState:
        policy = Policy(DEFAULT_MODEL, settings.policy_file or DEFAULT_POLICY)
        # The retention registry is checked at start: a faulty file stops it (RetentionFileError).
        retention_registry(settings.retention_file)
        # So is the access log's retention (TAVLE_ACCESS_LOG_RETENTION): a ValueError.
        parse_duration(settings.access_log_retention)
        rate_limits = RateLimits.from_settings(settings)
        limits = OperationLimits.from_settings(settings)
        workers = GraphQLWorkers(settings.graphql_threads, settings.graphql_queue)
        extensions: list[object] = [
            OperationSpan,
            rate_limits.extension,
            partial(OperationLimitsExtension, limits, workers),
            ReadEffectsExtension,
        ]
        # Tavle's executor (it types variable-coercion errors, schema/executor.py) in every case.
        executor: type[Executor[Any]] = (
            TavleExecutor if limits.suggestions else SuggestionFreeExecutor
        )
        compiled = CompiledExecution() if settings.compiled_execution else None
        if compiled is not None:
            executor = compiled.executor_class(executor)
        return cls(
            settings=settings,
            engine=engine or make_engine(settings.resolved_database_url()),
            policy=policy,
            schema=build_schema(policy, extensions, executor),
            authenticator=Authenticator.from_settings(settings),
            pseudonyms=Pseudonyms(pseudonym_key(settings)),
            rate_limits=rate_limits,
            limits=limits,
            graphql_workers=workers,
            job_handlers={
                **privacy.job_handlers(settings, pseudonym_key(settings)),
                **batch_erasure.job_handlers(settings, pseudonym_key(settings)),
                PrivacyAction.EXPORT_SCHOOL: school_export.school_export_handler(settings),
            },
            compiled=compiled,
            persisted_queries=PersistedQueries.from_settings(settings),
            file_url_key=file_url_key(settings),
            access_log=AccessLog(interval=settings.access_log_flush_seconds),
        )
