"""What a read leaves behind: the effects of one request, collected while it runs.

Reading someone's national id is audited, and a teacher of the course opening a student's answer
stamps it as opened (docs/access-policy.md); a staff member receiving another person's answer,
assessment or national id gets an entry in the staff access log (``store.access_log``). Fields
only *note* these here; nothing is written while the operation runs. After the operation the
gateway writes them in one transaction, or drops them when the answer was not delivered (a
timeout).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from authz.viewer import Viewer

#: an answer's ``lastOpenedBy`` id and ``lastOpenedAt`` as the request read them
OpenedStamp = tuple[int | None, datetime | None]
#: the stamp noted for an answer read twice with different stamps: nothing known of it
UNKNOWN_STAMP: OpenedStamp = (None, None)


@dataclass(frozen=True, slots=True)
class ReadAudit:
    """An audit entry to write when the request completes (a read of someone's national id)."""

    action: str
    target_type: str
    target_id: int


@dataclass(slots=True)
class RequestEffects:
    """The effects one request's reads noted, deduplicated, in the order first noted."""

    audits: dict[ReadAudit, None] = field(default_factory=dict)
    #: the answers a teacher of the course opened, each with its opened stamp as read (which
    #: tells ``record_opened`` that an answer stamped just now needs no look in the database)
    opened_submissions: dict[int, OpenedStamp] = field(default_factory=dict)
    #: (person id, kind code of ``store.access_log``) the viewer read as staff: one access-log
    #: entry each, however often the operation read it
    accessed: set[tuple[int, int]] = field(default_factory=set)
    #: the operation's name, as the access log records it (None: an anonymous operation)
    operation: str | None = None

    def national_id_read(self, person_id: int) -> None:
        self.audits[ReadAudit("READ_NATIONAL_ID", "User", person_id)] = None

    def submission_opened(self, submission_id: int, stamp: OpenedStamp = UNKNOWN_STAMP) -> None:
        """The viewer opened the answer, whose opened stamp read ``stamp``."""
        noted = self.opened_submissions.setdefault(submission_id, stamp)
        if noted != stamp:
            self.opened_submissions[submission_id] = UNKNOWN_STAMP

    def person_data_read(self, viewer: Viewer | None, person_id: int, kind: int) -> None:
        """``viewer`` receives ``person_id``'s datum of ``kind`` (``store.access_log``'s codes):
        an access-log entry unless the viewer is the person or their guardian. Anyone else
        reading it does so as staff (teacher, school leader, superuser, administrator)."""
        if (
            viewer is not None
            and person_id != viewer.person_id
            and person_id not in viewer.children
        ):
            self.accessed.add((person_id, kind))

    def take(self) -> RequestEffects:
        """The effects noted so far, as a new object, and none left here: whoever writes them
        takes them first, so that a second writer (a subscription's last event written again as
        it ends) finds nothing to write twice."""
        taken = RequestEffects(
            dict(self.audits), dict(self.opened_submissions), set(self.accessed), self.operation
        )
        self.drop()
        return taken

    def drop(self) -> None:
        """Forget every effect: the answer that would have caused them was not delivered."""
        self.audits.clear()
        self.opened_submissions.clear()
        self.accessed.clear()

    def __bool__(self) -> bool:
        return bool(self.audits or self.opened_submissions or self.accessed)
