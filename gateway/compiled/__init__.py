"""Compiled execution of read queries (``TAVLE_COMPILED_EXECUTION``).

graphql-core executes a query field by field: a resolver call per field, an awaited DataLoader
future per object, a completion step per value. For the large reads (a teacher's gradebook:
some 2,000 objects and 14,000 fields) that machinery is most of the time. This package runs a
validated query another way, with the same answer:

1. **Plan** (:mod:`gateway.compiled.plan`), once per document, operation, values of the
   variables that ``@include``/``@skip`` read, and policy version
   (:mod:`gateway.compiled.cache`): the fields graphql-core would collect
   (``collect_fields``, so fragments, inline fragments, directives and merged fields are its
   rules), each classified from the declarations both executors share: a plain field's value
   as a function of the record (``schema.values``), a ``record_field``'s function of the record
   and the context, a fetched field's data source (``resolvers.field_sources``,
   ``resolvers.root_fields``: :mod:`gateway.compiled.sources`), each guard's relation set
   (``authz.guard.guard_reads``). An operation with a field of any other kind
   (introspection, a resolver with no declaration), a mutation or a subscription gets no plan:
   graphql-core executes it, decided once and cached with the key.
2. **Run** (:mod:`gateway.compiled.run`): the root fields, then wave after wave of fetches,
   one batch function call per data source and wave with every key of the wave, each level's
   records completed directly into the response dictionaries (no Strawberry objects). Each
   field's authorisation is decided once per (object type, relation set) from the policy's
   compiled decisions (``Policy.memo_for``), as the field guards (``authz.guard``) decide it;
   denials and invisible references are reported through the request's ``ProblemLog``, and
   errors are located, propagated to the nearest nullable position and collected as
   graphql-core does.
3. **Integration** (:mod:`gateway.compiled.executor`): a graphql-core executor class whose
   ``execute_operation`` runs the plan when there is one, so Strawberry's extensions (limits,
   rate limits, spans, the timeout, the read effects) run around it unchanged.

docs: README, "Settings" (``TAVLE_COMPILED_EXECUTION``, on by default) and "Design".
"""
