"""What a read leaves behind: the effects of one request, collected while it runs.

Reading someone's national id is audited, and a teacher of the course opening a student's answer
stamps it as opened (docs/access-policy.md). Fields only *note* these here; nothing is written
while the operation runs. After the operation the gateway writes them in one transaction, or
drops them when the answer was not delivered (a timeout).
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    opened_submissions: set[int] = field(default_factory=set)

    def national_id_read(self, person_id: int) -> None:
        self.audits[ReadAudit("READ_NATIONAL_ID", "User", person_id)] = None

    def submission_opened(self, submission_id: int) -> None:
        self.opened_submissions.add(submission_id)

    def drop(self) -> None:
        """Forget every effect: the answer that would have caused them was not delivered."""
        self.audits.clear()
        self.opened_submissions.clear()

    def __bool__(self) -> bool:
        return bool(self.audits or self.opened_submissions)
