"""What a subscription operation's resolvers hold: the WebSocket connection's session (filled in by
the gateway, ``gateway.subscriptions``) and a request context renewed for every event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from authz.problems import ProblemLog
from authz.viewer import Viewer
from resolvers.context import RequestContext
from resolvers.effects import RequestEffects
from resolvers.events import EventHub
from resolvers.loaders import Loaders


@dataclass
class SubscriptionSession:
    """What one WebSocket connection holds for its subscriptions, filled in by the gateway
    when the connection is initialised: the hub, who the caller is, and how to check them
    again."""

    hub: EventHub
    #: the caller's viewer now, or ``None`` when they may no longer use the connection (the
    #: gateway then closes it); one statement while their viewer is unchanged
    current_viewer: Callable[[], Awaitable[Viewer | None]]
    #: the caller's viewer as last checked (at the start, an event of theirs or the
    #: connection's periodic check), without asking the database; ``None`` once closed
    known_viewer: Callable[[], Viewer | None]
    #: writes what an event's answer read (audited reads), after it was sent
    write_effects: Callable[[RequestContext], Awaitable[None]]
    #: closes the connection (code, reason)
    close: Callable[[int, str], Awaitable[None]]
    #: the payload of ``connection_init`` (Strawberry sets it)
    connection_params: dict[str, Any] = field(default_factory=dict)


class SubscriptionContext(RequestContext):
    """The context of one subscription operation: a request context whose viewer, loaders,
    problem log and effects are renewed for every event (``renew``), with the connection's
    session."""

    session: SubscriptionSession | None = None

    def renew(self, viewer: Viewer) -> None:
        """A fresh start for one event: the viewer as they are now, empty loaders (rows read as
        they are now), a new problem log (each event reports its own denials) and effects."""
        self.policy.refresh_if_changed()
        self.viewer = viewer
        self.problems = ProblemLog(self.settings.max_field_errors)
        # the operation's name stays: the staff access log records it for every event
        self.effects = RequestEffects(operation=self.effects.operation)
        self.loaders = Loaders(self)

    @property
    def connection_params(self) -> dict[str, Any]:
        return {} if self.session is None else self.session.connection_params

    @connection_params.setter
    def connection_params(self, value: dict[str, Any]) -> None:
        if self.session is not None:
            self.session.connection_params = value
