"""Running a plan: the root fields, then waves of fetches, completed into the response.

**Records, not objects.** The sources hand back records (``resolvers.records``, pages of them);
an object is completed straight into its response dictionary by its plan's *program* for the
record's class and the viewer's relations to it (:meth:`~gateway.compiled.plan.ObjectPlan.program`,
made a function once by :mod:`gateway.compiled.emit`): each plain field's declared getter
(``schema.values``) and serialisation, each computed field's function, each denied field
reported. No Strawberry object is made.

**Waves.** Completing an object reads its plain and computed fields at once; a fetched field the
viewer may read asks its prepared source (:mod:`gateway.compiled.protocol`, prepared once per
field and request) for the key to load, and waits in the next wave. A wave first loads: the keys
are grouped by batch function, and those not yet loaded in this request are loaded in one call
(concurrently with the wave's other batch functions); an outcome that asks for more (a person
among the restricted ones) is loaded in a further round of the same wave. Then the wave's fields
are completed in the order they were reached, which adds the next wave. A key is loaded once per
request and batch function, as a DataLoader caches it, so a request costs no more statements
than graphql-core's execution, which batches per event-loop tick what this batches per wave.

**Authorisation.** An object's fields are decided once per (object plan, relation set)
(:meth:`~gateway.compiled.plan.ObjectPlan.decide`), the relation set read as the type's field
guards read it (``authz.guard.guard_reads``: the object's own, held by its record, or
``ROW_ONLY`` for plumbing types). A denied field is reported through the request's
``ProblemLog`` with the resolve info graphql-core would have built, so the bounded error, its
count and its path are ``ProblemLog``'s; the root fields answer ``UNAUTHENTICATED`` to anonymous
callers as the root guards do.

**Errors** follow graphql-core: each error is located at its field's path
(``Executor.handle_field_error``); a non-null field's error propagates to the nearest nullable
position, which is nulled, and errors below a nulled position are not collected
(``CollectedErrors``). Completing an object stops at its first non-null field that fails, as
graphql-core's synchronous completion does; the fields it already sent to the next wave are
dropped (graphql-core would still finish them in the background, results discarded). Response
paths are kept as plain ``(previous, key, type name)`` tuples, which compare and hash as
graphql-core's ``Path`` does, and made ``Path`` s only for an error or a report.

**Root fields** are run as graphql-core runs them: the guards and synchronous fields in order
(a non-null one failing ends the operation with ``"data": null`` there), then each fetched
field's first step (its arguments, its key), all of them even when one fails, since graphql-core
starts them together; a non-null root field failing then or later nulls the data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from graphql import ExecutionResult, GraphQLError
from graphql.execution import Executor
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from strawberry.types.arguments import convert_arguments

from authz.guard import GuardReads
from authz.relations import NO_RELATIONS, ROW_ONLY
from gateway.compiled.emit import emit
from gateway.compiled.plan import (
    COMPUTED,
    FETCHED,
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
    Step,
)
from gateway.compiled.protocol import Again, BatchFunction, Missing, Now, Prepared
from resolvers.context import RequestContext

#: a response path: (previous, key, type name), as graphql-core's ``Path`` holds it
Chain = tuple[Any, str | int, str | None] | None
_OWN = GuardReads.OBJECT


def _path(chain: Chain) -> Path | None:
    """The ``Path`` of a chain (for graphql-core's errors and resolve infos)."""
    if chain is None:
        return None
    previous, key, typename = chain
    return Path(_path(previous), key, typename)


class _Failed:
    """A batch function that raised: the error of every field waiting on it."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


#: A fetched field of one parent waiting in a wave, as a list (made for every parent: a list
#: is the cheapest object to make): the field, the dictionary its value goes into, its path,
#: the batch function and key it waits for, the function of the loaded value
#: (``Prepared.finish`` or ``Again.finish``), the outcome, whether it is a root field.
_Slot = list[Any]
_FIELD, _HOLDER, _PATH, _BATCH, _KEY, _FINISH, _OUTCOME, _ROOT = range(8)


class PlanRun:
    """One request's run of one plan."""

    def __init__(self, executor: Executor[Any], plan: OperationPlan, ctx: RequestContext) -> None:
        self.executor = executor
        self.plan = plan
        self.ctx = ctx
        self.policy = ctx.policy
        self.errors = executor.collected_errors
        self.pending: list[_Slot] = []
        self.loaded: dict[BatchFunction, dict[Any, Any]] = {}
        #: each fetched field's source for this request, or its arguments' error
        self.prepared: dict[FieldPlan, Prepared | Exception] = {}
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
            path = (None, field.key, plan.name)
            if ok and field.kind == FETCHED:
                out[field.key] = None
                fetched.append(field)
                continue
            try:
                if not ok:
                    code = "FORBIDDEN" if "authenticated" in relations else "UNAUTHENTICATED"
                    self.ctx.problems.report(code, field.coordinate, self._info(field, path))
                    value = None
                elif field.kind == TYPENAME:
                    value = plan.name
                else:  # COMPUTED: plain root fields are not planned
                    value = field.function(None, self.ctx, **self._convert(field))  # type: ignore[misc]
                out[field.key] = self._complete(field, field.completer, value, path)
            except Exception as raw:
                if not self._field_error(raw, field, path):
                    return None
                out[field.key] = None
        aborted: GraphQLError | None = None
        for field in fetched:
            path = (None, field.key, plan.name)
            try:
                self._request(field, None, out, path, root=True)
            except Exception as raw:
                try:
                    self._locate(raw, field, path)
                except GraphQLError as error:
                    aborted = aborted or error
                out[field.key] = None
        if aborted is not None:
            self.errors.add(aborted, None)
            return None
        return out

    def _field_error(self, raw: Exception, field: FieldPlan, path: Chain) -> bool:
        """Collect ``raw`` at ``field``; False when it ends the operation (a non-null root)."""
        try:
            self._locate(raw, field, path)
        except GraphQLError as error:
            self.errors.add(error, None)
            return False
        return True

    def _locate(self, raw: Exception, field: FieldPlan, path: Chain) -> None:
        """graphql-core's ``handle_field_error`` at ``field``: collected, or raised for a
        non-null field (propagation)."""
        self.executor.handle_field_error(raw, field.return_type, field.details, _path(path))  # type: ignore[arg-type]

    # --- objects --------------------------------------------------------------------------

    def _object(self, plan: ObjectPlan, record: Any, path: Chain) -> dict[str, Any]:
        record_class = record.__class__
        # the relations the type's guards read (authz.guard.guard_reads)
        relations = (
            getattr(record, "relations", NO_RELATIONS) if plan.relations is _OWN else ROW_ONLY
        )
        by_relations = plan.programs.get(record_class)
        program = by_relations.get(relations) if by_relations is not None else None
        if program is None:
            steps = plan.program(record_class, relations, self.policy)
            program = emit(plan.name, steps)
            plan.programs.setdefault(record_class, {})[relations] = program
        return program(self, record, path)

    def _field(self, step: Step, record: Any, path: Chain) -> Any:
        """The value of a field of ``step``'s kind other than a readable leaf or a fetched
        field (``gateway.compiled.emit`` inlines those): an object or list, a computed field,
        ``__typename``, a denied field. Raises the field's error."""
        key, kind, read, field = step
        field_path = (path, key, field.parent_type.name)
        if kind == OBJECT:
            value = read(record)  # type: ignore[misc]  # a getter for OBJECT
            if value is None:
                if field.non_null:
                    raise field.null_error()
                return None
            if field.object_plan is not None:
                return self._object(field.object_plan, value, field_path)
            return self._complete_inner(field, field.completer, value, field_path)
        if kind == COMPUTED:
            value = read(record, self.ctx)  # type: ignore[misc]  # the record function
            return self._complete(field, field.completer, value, field_path)
        if kind == TYPENAME:
            return field.parent_type.name
        # DENIED
        self.ctx.problems.report("FORBIDDEN", field.coordinate, self._info(field, field_path))
        return self._complete(field, field.completer, None, field_path)

    def _complete(
        self, field: FieldPlan, completer: Completer | None, value: Any, path: Chain
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
        self, field: FieldPlan, completer: Completer | None, value: Any, path: Chain
    ) -> Any:
        if completer.__class__ is ObjectCompleter:
            return self._object(completer.plan, value, path)
        if completer.__class__ is ListCompleter:
            return self._list(field, completer, value, path)
        if completer.__class__ is LeafCompleter:
            if value.__class__ is completer.exact:
                return value
            return completer.serialize(value)
        if isinstance(completer, AbstractCompleter):
            plan = completer.by_class.get(value.__class__)
            if plan is None:
                raise GraphQLError(
                    f"Abstract type '{completer.type}' must resolve to an Object type at "
                    f"runtime for field '{field.parent_type.name}.{field.name}'.",
                    field.nodes,
                )
            return self._object(plan, value, path)
        raise TypeError(f"no completer for {field.coordinate}")  # pragma: no cover

    def _list(
        self, field: FieldPlan, completer: ListCompleter, items: Sequence[Any], path: Chain
    ) -> list[Any]:
        out: list[Any] = []
        item = completer.item
        item_non_null = completer.item_non_null
        if item.__class__ is ObjectCompleter:
            # the lists of objects: their records completed without the dispatch
            plan: ObjectPlan = item.plan
            for index, value in enumerate(items):
                try:
                    if value is None:
                        if item_non_null:
                            raise field.null_error()
                        out.append(None)
                    else:
                        out.append(self._object(plan, value, (path, index, None)))
                except Exception as raw:
                    self._item_error(raw, field, completer, (path, index, None))
                    out.append(None)
            return out
        for index, value in enumerate(items):
            try:
                if value is None:
                    if item_non_null:
                        raise field.null_error()
                    out.append(None)
                else:
                    out.append(self._complete_inner(field, item, value, (path, index, None)))
            except Exception as raw:
                self._item_error(raw, field, completer, (path, index, None))
                out.append(None)
        return out

    def _item_error(
        self, raw: Exception, field: FieldPlan, completer: ListCompleter, path: Chain
    ) -> None:
        self.executor.handle_field_error(raw, completer.item_type, field.details, _path(path))  # type: ignore[arg-type]

    # --- fetched fields -------------------------------------------------------------------

    def _request(
        self,
        field: FieldPlan,
        record: Any,
        holder: dict[str, Any],
        path: Chain,
        root: bool = False,
    ) -> None:
        """Ask ``field``'s source for ``record``'s key: the value completed now, or sent to
        the next wave. Raises the field's error."""
        prepared = self.prepared.get(field)
        if prepared is None:
            prepared = self._prepare(field)
        if prepared.__class__ is _Failed:
            raise prepared.error
        key = prepared.start(record)  # type: ignore[union-attr]
        if key.__class__ is Now:
            holder[field.key] = self._complete(field, field.completer, key.value, path)
            return
        self.pending.append(
            [field, holder, path, prepared.batch, key, prepared.finish, None, root]  # type: ignore[union-attr]
        )

    def _prepare(self, field: FieldPlan) -> Prepared | Any:
        """``field``'s source for this request, once; an argument that does not convert is an
        error of every parent."""
        assert field.source is not None
        prepared: Prepared | _Failed
        try:
            prepared = field.source.prepare(self.ctx, self._convert(field))
        except Exception as error:
            prepared = _Failed(error)
        self.prepared[field] = prepared  # type: ignore[assignment]
        return prepared

    def _convert(self, field: FieldPlan) -> Mapping[str, Any]:
        """The field's arguments as its resolver receives them."""
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

    def _info(self, field: FieldPlan, path: Chain) -> Any:
        """The resolve info graphql-core would give the field's resolver (``ProblemLog`` reads
        its path and field nodes)."""
        assert field.field_def is not None
        return self.executor.build_resolve_info(
            field.field_def,
            field.nodes,
            field.parent_type,
            _path(path),  # type: ignore[arg-type]
        )

    # --- waves ----------------------------------------------------------------------------

    async def _wave(self) -> None:
        slots, self.pending = self.pending, []
        if self.errors.errors:
            nulled = self.errors.has_nulled_position
            slots = [slot for slot in slots if not nulled(_path(slot[_PATH]))]
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
        wanted: dict[BatchFunction, dict[Any, None]] = {}
        loaded_all = self.loaded
        for slot in slots:
            batch = slot[_BATCH]
            loaded = loaded_all.get(batch)
            if loaded is not None and slot[_KEY] in loaded:
                continue
            keys = wanted.get(batch)
            if keys is None:
                keys = wanted[batch] = {}
            keys[slot[_KEY]] = None
        work = [self._batch(batch, list(keys)) for batch, keys in wanted.items()]
        if len(work) == 1:
            await work[0]
        elif work:
            await asyncio.gather(*work)

    async def _batch(self, batch: BatchFunction, keys: list[Any]) -> None:
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

    def _finish(self, slot: _Slot) -> bool:
        """Turn what ``slot`` waited for into its outcome; True when it waits for more."""
        key = slot[_KEY]
        value = self.loaded[slot[_BATCH]][key]
        try:
            if value.__class__ is _Failed:
                raise value.error
            outcome = slot[_FINISH](key, value)
        except Exception as error:
            slot[_OUTCOME] = _Failed(error)
            return False
        if outcome.__class__ is Again:
            slot[_BATCH], slot[_KEY] = outcome.batch, outcome.key
            slot[_FINISH] = _again(outcome.finish)
            return True
        slot[_OUTCOME] = outcome
        return False

    def _complete_slot(self, slot: _Slot) -> None:
        field: FieldPlan = slot[_FIELD]
        outcome = slot[_OUTCOME]
        path = slot[_PATH]
        try:
            if outcome.__class__ is _Failed:
                raise outcome.error
            if outcome.__class__ is Missing:
                self.ctx.problems.report("NOT_FOUND", outcome.coordinate, self._info(field, path))
                outcome = None
            if outcome is not None and field.object_plan is not None:
                slot[_HOLDER][field.key] = self._object(field.object_plan, outcome, path)
            else:
                slot[_HOLDER][field.key] = self._complete(field, field.completer, outcome, path)
        except Exception as raw:
            slot[_HOLDER][field.key] = None
            if slot[_ROOT]:
                if not self._field_error(raw, field, path):
                    self.data = None
                return
            self._locate(raw, field, path)


def _again(finish: Any) -> Any:
    """An ``Again``'s outcome function in the shape of ``Prepared.finish``."""

    def finished(_key: Any, value: Any) -> Any:
        return finish(value)

    return finished


def run_plan(executor: Executor[Any], plan: OperationPlan, ctx: RequestContext) -> Any:
    """The coroutine answering the operation with ``plan``."""
    return PlanRun(executor, plan, ctx).execute()
