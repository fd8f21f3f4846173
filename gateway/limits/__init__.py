"""Operation limits: what a document may ask for before any of it runs (docs/security.md).

Each module is one concern: ``config`` (the limits, from the settings), ``document`` (walking the
expanded selection set with fragments memoised), ``counts`` (fields, aliases, root mutations),
``depth``, ``cost`` (the static cost analysis), ``tokens`` (the lexer's token limit, checked
before authentication), ``discovery`` (introspection and "Did you mean" suggestions),
``refusal`` (the error, the metric and the log line), ``checks`` (the order the checks run in),
``extension`` (the Strawberry hook that runs them before validation), ``workers`` (the threads
that decode, parse and validate, shared fairly between client addresses) and ``timeout`` (the
execution timeout).
"""

from gateway.limits.config import OperationLimits

__all__ = ["OperationLimits"]
