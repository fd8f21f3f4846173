"""A program (``ObjectPlan.program``) as one Python function: the per-object loop, unrolled.

An object's program is fixed once its plan, record class and relation set are: which fields, in
which order, each with its getter, serialisation and decision. Running it as a loop costs a
tuple unpacking and a dispatch on the field's kind per field; unrolled into straight-line code it
costs neither, which is most of a plain field's cost. So each program is turned, once, into the
source of a function ``complete(run, record, path) -> dict`` and compiled:

- a readable leaf is read with its getter (a computed leaf with its record function) and
  serialised in place, a null checked against the field's nullability, the field's error
  located at the field (``PlanRun._locate``);
- a readable object field hands its record to the object's own program (``PlanRun._object``);
- a fetched field is handed to ``PlanRun._request`` (its value comes in a later wave);
- every other field (a list, an interface, ``__typename``, a denied field) is run by
  ``PlanRun._field``.

The source names nothing but the function's own constants (the getters, serialisations and field
plans, passed in as the namespace) and the response keys (as ``repr`` literals); nothing of a
request or a record enters it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.compiled.plan import COMPUTED, FETCHED, LEAF, OBJECT, LeafCompleter, Step

#: the function of a program: the response dictionary of ``record`` at ``path``
Emitted = Callable[[Any, Any, Any], dict[str, Any]]


def _null(n: int, non_null: bool, slot: str) -> list[str]:
    """A null value: the field's null error, or null."""
    then = f"raise f{n}.null_error()" if non_null else f"{slot} = None"
    return ["        if v is None:", f"            {then}"]


def emit(type_name: str, program: tuple[Step, ...]) -> Emitted:
    """The function running ``program`` for objects of ``type_name``."""
    namespace: dict[str, Any] = {"NAME": type_name}
    lines = ["def complete(run, record, path):", "    out = {}"]
    for n, step in enumerate(program):
        key, kind, read, field = step
        namespace[f"f{n}"] = field
        namespace[f"g{n}"] = read
        slot = f"out[{key!r}]"
        lines.append("    try:")
        leaf = isinstance(field.completer, LeafCompleter)
        if kind == LEAF or (kind == COMPUTED and leaf):
            # a leaf read (or computed) and serialised in place
            assert isinstance(field.completer, LeafCompleter)
            call = f"g{n}(record)" if kind == LEAF else f"g{n}(record, run.ctx)"
            lines.append(f"        v = {call}")
            lines.extend(_null(n, field.non_null, slot))
            exact = field.completer.exact
            if exact is not None:
                namespace[f"x{n}"] = exact
                lines.append(f"        elif v.__class__ is x{n}:")
                lines.append(f"            {slot} = v")
            namespace[f"s{n}"] = field.completer.serialize
            lines.append("        else:")
            lines.append(f"            {slot} = s{n}(v)")
        elif kind == OBJECT and field.object_plan is not None:
            # one object, completed by its own program
            namespace[f"p{n}"] = field.object_plan
            lines.append(f"        v = g{n}(record)")
            lines.extend(_null(n, field.non_null, slot))
            lines.append("        else:")
            lines.append(f"            {slot} = run._object(p{n}, v, (path, {key!r}, NAME))")
        elif kind == FETCHED:
            lines.append(f"        {slot} = None")
            lines.append(f"        run._request(f{n}, record, out, (path, {key!r}, NAME))")
        else:
            namespace[f"step{n}"] = step
            lines.append(f"        {slot} = run._field(step{n}, record, path)")
        lines.append("    except Exception as raw:")
        lines.append(f"        run._locate(raw, f{n}, (path, {key!r}, NAME))")
        lines.append(f"        {slot} = None")
    lines.append("    return out")
    source = compile("\n".join(lines), f"<program of {type_name}>", "exec")
    exec(source, namespace)  # the source above: the program's constants and response keys only
    made: Emitted = namespace["complete"]
    return made
