"""Running a plan: the root fields, then waves of fetches, completed into the response.

**Waves.** Completing an object reads its attribute and computed fields at once; a fetched field
the viewer may read asks its source (:mod:`gateway.compiled.protocol`) for what to load and
waits in the next wave. A wave first loads: every :class:`~gateway.compiled.protocol.Fetch` of
the wave is grouped by its batch function, whose keys not yet loaded in this request are loaded
in one call (concurrently with the wave's other batch functions and root calls); a ``finish``
that asks for more (a person among the restricted ones) is loaded in a further round of the same
wave. Then the wave's fields are completed in the order they were reached, which adds the next
wave. A key is loaded once per request and batch function, as a DataLoader caches it, so a
request costs no more statements than graphql-core's execution, which batches per event-loop
tick what this batches per wave.

**Authorisation.** An object's fields are decided once per (object plan, relation set)
(:meth:`~gateway.compiled.plan.ObjectPlan.decide`), the relation set read as the type's field
guards read it (``authz.guard``: the object's own, or ``ROW_ONLY`` for plumbing types). A denied
field is reported through the request's ``ProblemLog`` with the resolve info graphql-core would
have built, so the bounded error, its count and its path are ``ProblemLog``'s; the root fields
answer ``UNAUTHENTICATED`` to anonymous callers as the root guards do.

**Errors** follow graphql-core: each error is located at its field's path
(``Executor.handle_field_error``); a non-null field's error propagates to the nearest nullable
position, which is nulled, and errors below a nulled position are not collected
(``CollectedErrors``). Completing an object stops at its first non-null field that fails, as
graphql-core's synchronous completion does; the fields it already sent to the next wave are
dropped (graphql-core would still finish them in the background, results discarded).

**Root fields** are run as graphql-core runs them: the guards and synchronous fields in order
(a non-null one failing ends the operation with ``"data": null`` there), then each fetched
field's first step (its arguments, its request), all of them even when one fails, since
graphql-core starts them together; a non-null root field failing then or later nulls the data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult, GraphQLError
from graphql.execution import Executor
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.types.arguments import convert_arguments

from authz.relations import NO_RELATIONS, ROW_ONLY
from gateway.compiled.plan import (
    ATTRIBUTE,
    COMPUTED,
    LEAF,
    OBJECT,
    TYPENAME,
    AbstractCompleter,
    Completer,
    FieldPlan,
    LeafCompleter,
    ListCompleter,
    ObjectCompleter,
    ObjectPlan,
    OperationPlan,
)
from gateway.compiled.protocol import BatchFunction, Call, Fetch, Missing
from resolvers.context import RequestContext


@dataclass(frozen=True, slots=True)
class _Failed:
    """A batch function or root call that raised: the error of every field waiting on it."""

    error: Exception


@dataclass(eq=False, slots=True)
class _Slot:
    """A fetched field of one parent, waiting in a wave."""

    field: FieldPlan
    holder: dict[str, Any]
    path: Path
    outcome: Any
    root: bool = False
    called: Any = None


class PlanRun:
    """One request's run of one plan."""

    def __init__(self, executor: Executor[Any], plan: OperationPlan, ctx: RequestContext) -> None:
        self.executor = executor
        self.plan = plan
        self.ctx = ctx
        self.policy = ctx.policy
        self.errors = executor.collected_errors
        self.pending: list[_Slot] = []
        self.loaded: dict[BatchFunction, dict[Hashable, Any]] = {}
        self.arguments: dict[FieldPlan, Mapping[str, Any] | Exception] = {}
        self.data: dict[str, Any] | None = None

    async def execute(self) -> ExecutionResult:
        self.data = self._root()
        while self.pending and self.data is not None:
            await self._wave()
        return self.executor.build_response(self.data)  # type: ignore[return-value]

    # --- root -----------------------------------------------------------------------------

    def _root(self) -> dict[str, Any] | None:
        plan = self.plan.root
        relations = self.ctx.root_relations
        allowed = plan.decisions.get(relations) or plan.decide(self.policy, relations)
        out: dict[str, Any] = {}
        fetched: list[FieldPlan] = []
        for field, ok in zip(plan.fields, allowed, strict=True):
            path = Path(None, field.key, plan.name)
            if ok and field.kind not in (TYPENAME, LEAF, ATTRIBUTE, COMPUTED):
                out[field.key] = None
                fetched.append(field)
                continue
            try:
                if not ok:
                    code = "FORBIDDEN" if "authenticated" in relations else "UNAUTHENTICATED"
                    self.ctx.problems.report(code, field.coordinate, self._info(field, path))
                    value = None
                else:
                    value = self._value(plan, field, None)
                out[field.key] = self._complete(field, field.completer, value, path)
            except Exception as raw:
                if not self._field_error(raw, field, path):
                    return None
                out[field.key] = None
        aborted: GraphQLError | None = None
        for field in fetched:
            path = Path(None, field.key, plan.name)
            try:
                self._request(field, None, out, path, root=True)
            except Exception as raw:
                try:
                    self.executor.handle_field_error(raw, field.return_type, field.details, path)  # type: ignore[arg-type]
                except GraphQLError as error:
                    aborted = aborted or error
                out[field.key] = None
        if aborted is not None:
            self.errors.add(aborted, None)
            return None
        return out

    def _field_error(self, raw: Exception, field: FieldPlan, path: Path) -> bool:
        """Collect ``raw`` at ``field``; False when it ends the operation (a non-null root)."""
        try:
            self.executor.handle_field_error(raw, field.return_type, field.details, path)  # type: ignore[arg-type]
        except GraphQLError as error:
            self.errors.add(error, None)
            return False
        return True

    # --- objects --------------------------------------------------------------------------

    def _object(self, plan: ObjectPlan, record: Any, path: Path) -> dict[str, Any]:
        # the relations the type's guards read (authz.guard)
        if plan.relations == OBJECT:
            relations = getattr(record, "tavle_rels", NO_RELATIONS)
        else:
            relations = ROW_ONLY
        allowed = plan.decisions.get(relations) or plan.decide(self.policy, relations)
        out: dict[str, Any] = {}
        # the hot loop: a leaf attribute the viewer may read is read and serialised in place
        for field, ok in zip(plan.fields, allowed):  # noqa: B905  # one decision per field
            key = field.key
            try:
                if ok and field.kind == LEAF:
                    value = getattr(record, field.attribute)
                    if value is None:
                        if field.non_null:
                            raise field.null_error()
                        out[key] = None
                    elif value.__class__ is field.exact:
                        out[key] = value
                    else:
                        out[key] = field.serialize(value)  # type: ignore[misc]  # set for LEAF
                    continue
                field_path = Path(path, key, plan.name)
                if not ok:
                    self.ctx.problems.report(
                        "FORBIDDEN", field.coordinate, self._info(field, field_path)
                    )
                    value = None
                elif field.source is not None:
                    out[key] = None
                    self._request(field, record, out, field_path)
                    continue
                else:
                    value = self._value(plan, field, record)
                out[key] = self._complete(field, field.completer, value, field_path)
            except Exception as raw:
                self.executor.handle_field_error(
                    raw,
                    field.return_type,  # type: ignore[arg-type]
                    field.details,
                    Path(path, key, plan.name),
                )
                out[key] = None
        return out

    def _value(self, plan: ObjectPlan, field: FieldPlan, record: Any) -> Any:
        kind = field.kind
        if kind == TYPENAME:
            return plan.name
        if kind == COMPUTED:
            return field.computed.value(self.ctx, record)  # type: ignore[union-attr]
        return getattr(record, field.attribute)

    def _complete(
        self, field: FieldPlan, completer: Completer | None, value: Any, path: Path
    ) -> Any:
        """``value`` completed for ``field``'s type (graphql-core's ``complete_value``)."""
        if value is None:
            if field.non_null:
                raise field.null_error()
            return None
        if field.kind == TYPENAME:
            return value
        return self._complete_inner(field, completer, value, path)

    def _complete_inner(
        self, field: FieldPlan, completer: Completer | None, value: Any, path: Path
    ) -> Any:
        if completer.__class__ is ObjectCompleter:
            return self._object(completer.plan, value, path)
        if completer.__class__ is LeafCompleter:
            if value.__class__ is completer.exact:
                return value
            return completer.serialize(value)
        if isinstance(completer, ListCompleter):
            return self._list(field, completer, value, path)
        if isinstance(completer, AbstractCompleter):
            plan = completer.by_class.get(type(value))
            if plan is None:
                raise GraphQLError(
                    f"Abstract type '{completer.type}' must resolve to an Object type at "
                    f"runtime for field '{field.parent_type.name}.{field.name}'.",
                    field.nodes,
                )
            return self._object(plan, value, path)
        raise TypeError(f"no completer for {field.coordinate}")  # pragma: no cover

    def _list(
        self, field: FieldPlan, completer: ListCompleter, items: Sequence[Any], path: Path
    ) -> list[Any]:
        out: list[Any] = []
        item = completer.item
        for index, value in enumerate(items):
            item_path = path.add_key(index, None)
            try:
                if value is None:
                    if completer.item_non_null:
                        raise field.null_error()
                    out.append(None)
                else:
                    out.append(self._complete_inner(field, item, value, item_path))
            except Exception as raw:
                self.executor.handle_field_error(raw, completer.item_type, field.details, item_path)
                out.append(None)
        return out

    # --- fetched fields -------------------------------------------------------------------

    def _request(
        self,
        field: FieldPlan,
        record: Any,
        holder: dict[str, Any],
        path: Path,
        root: bool = False,
    ) -> None:
        """Ask ``field``'s source for ``record``'s value: completed now, or sent to the next
        wave. Raises the field's error."""
        outcome = field.source.request(self.ctx, record, self._arguments(field))  # type: ignore[union-attr]
        if isinstance(outcome, Fetch | Call):
            self.pending.append(_Slot(field, holder, path, outcome, root))
            return
        holder[field.key] = self._complete_outcome(field, outcome, path)

    def _complete_outcome(self, field: FieldPlan, outcome: Any, path: Path) -> Any:
        if isinstance(outcome, Missing):
            self.ctx.problems.report("NOT_FOUND", outcome.coordinate, self._info(field, path))
            outcome = None
        return self._complete(field, field.completer, outcome, path)

    def _arguments(self, field: FieldPlan) -> Mapping[str, Any]:
        """The field's arguments as its resolver receives them, once per request."""
        known = self.arguments.get(field)
        if known is None:
            try:
                known = self._convert(field)
            except Exception as error:  # a field error of every parent
                known = error
            self.arguments[field] = known
        if isinstance(known, Exception):
            raise known
        return known

    def _convert(self, field: FieldPlan) -> Mapping[str, Any]:
        assert field.field_def is not None and field.strawberry_field is not None
        if not field.field_def.args:
            return {}
        raw = get_argument_values(
            field.field_def,
            field.nodes[0],
            self.executor.variable_values,
            None,
            self.executor.hide_suggestions,
        )
        strawberry_schema = self.executor.schema._strawberry_schema  # type: ignore[attr-defined]
        converted: dict[str, Any] = convert_arguments(
            raw,
            field.strawberry_field.arguments,
            scalar_registry=strawberry_schema.schema_converter.scalar_registry,
            config=strawberry_schema.config,
        )
        return converted

    def _info(self, field: FieldPlan, path: Path) -> Any:
        """The resolve info graphql-core would give the field's resolver (``ProblemLog`` reads
        its path and field nodes)."""
        assert field.field_def is not None
        return self.executor.build_resolve_info(
            field.field_def, field.nodes, field.parent_type, path
        )

    # --- waves ----------------------------------------------------------------------------

    async def _wave(self) -> None:
        slots, self.pending = self.pending, []
        if self.errors.errors:
            slots = [slot for slot in slots if not self.errors.has_nulled_position(slot.path)]
        waiting = slots
        while waiting:
            await self._load(waiting)
            waiting = [slot for slot in waiting if self._finish(slot)]
        for slot in slots:
            if self.data is None:
                return
            self._complete_slot(slot)

    async def _load(self, slots: list[_Slot]) -> None:
        """Load what ``slots`` wait for: each batch function once, with its new keys."""
        wanted: dict[BatchFunction, dict[Hashable, None]] = {}
        calls: list[_Slot] = []
        for slot in slots:
            outcome = slot.outcome
            if isinstance(outcome, Call):
                calls.append(slot)
                continue
            loaded = self.loaded.get(outcome.batch)
            keys = wanted.get(outcome.batch)
            for key in outcome.keys:
                if loaded is not None and key in loaded:
                    continue
                if keys is None:
                    keys = wanted[outcome.batch] = {}
                keys[key] = None
        work = [self._batch(batch, list(keys)) for batch, keys in wanted.items()]
        work.extend(self._call(slot) for slot in calls)
        if len(work) == 1:
            await work[0]
        elif work:
            await asyncio.gather(*work)

    async def _batch(self, batch: BatchFunction, keys: list[Hashable]) -> None:
        loaded = self.loaded.setdefault(batch, {})
        try:
            values = await batch(keys)
        except Exception as error:
            failed = _Failed(error)
            for key in keys:
                loaded[key] = failed
            return
        for key, value in zip(keys, values, strict=True):
            loaded[key] = value

    async def _call(self, slot: _Slot) -> None:
        try:
            slot.called = await slot.outcome.run()
        except Exception as error:
            slot.called = _Failed(error)

    def _finish(self, slot: _Slot) -> bool:
        """Turn what ``slot`` waited for into its outcome; True when it waits for more."""
        outcome = slot.outcome
        try:
            if isinstance(outcome, Call):
                if isinstance(slot.called, _Failed):
                    raise slot.called.error
                result = outcome.finish(slot.called)
            else:
                loaded = self.loaded.get(outcome.batch, {})  # nothing loaded for no keys
                values = [loaded[key] for key in outcome.keys]
                for value in values:
                    if value.__class__ is _Failed:
                        raise value.error
                result = outcome.finish(values)
        except Exception as error:
            slot.outcome = _Failed(error)
            return False
        slot.outcome = result
        return isinstance(result, Fetch | Call)

    def _complete_slot(self, slot: _Slot) -> None:
        field = slot.field
        try:
            if isinstance(slot.outcome, _Failed):
                raise slot.outcome.error
            slot.holder[field.key] = self._complete_outcome(field, slot.outcome, slot.path)
        except Exception as raw:
            slot.holder[field.key] = None
            if slot.root:
                if not self._field_error(raw, field, slot.path):
                    self.data = None
                return
            self.executor.handle_field_error(raw, field.return_type, field.details, slot.path)  # type: ignore[arg-type]


def run_plan(executor: Executor[Any], plan: OperationPlan, ctx: RequestContext) -> Any:
    """The coroutine answering the operation with ``plan``."""
    return PlanRun(executor, plan, ctx).execute()
