"""In-memory stand-ins of the ops page's ports, for tests and the HTTP harness."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from console.domain.ops import DeadLetter, Gauges, Replay, ServiceHealth
from console.service_layer.ops import ReplayFailed


@dataclass
class StaticProbe:
    """The services' health and gauges as a test sets them."""

    services: list[ServiceHealth] = field(default_factory=list)
    measured: Gauges = field(default_factory=lambda: Gauges((), (), "metrics"))

    async def health(self) -> list[ServiceHealth]:
        return list(self.services)

    async def gauges(self) -> Gauges:
        return self.measured


@dataclass
class MemoryDeadLetters:
    letters: dict[str, DeadLetter] = field(default_factory=dict)
    replays: dict[str, Replay] = field(default_factory=dict)

    async def add(self, letter: DeadLetter) -> None:
        self.letters.setdefault(letter.letter_id, letter)

    def _with_replay(self, letter: DeadLetter) -> DeadLetter:
        return replace(letter, replay=self.replays.get(letter.letter_id))

    async def recent(self, limit: int) -> list[DeadLetter]:
        newest = sorted(
            self.letters.values(),
            key=lambda d: (d.failed_at or datetime.min.replace(tzinfo=UTC), d.letter_id),
            reverse=True,
        )
        return [self._with_replay(d) for d in newest[:limit]]

    async def get(self, letter_id: str) -> DeadLetter | None:
        letter = self.letters.get(letter_id)
        return self._with_replay(letter) if letter else None

    async def claim_replay(self, letter_id: str, by: str, at: datetime) -> bool:
        if letter_id in self.replays:
            return False
        self.replays[letter_id] = Replay(by, at)
        return True

    async def release_replay(self, letter_id: str) -> None:
        if letter_id in self.replays and self.replays[letter_id].published_at is None:
            del self.replays[letter_id]

    async def replay_published(self, letter_id: str, at: datetime) -> None:
        self.replays[letter_id] = replace(self.replays[letter_id], published_at=at)


@dataclass
class RecordingRepublisher:
    """Records what would have been published again; `fail` makes the next one fail."""

    published: list[DeadLetter] = field(default_factory=list)
    fail: bool = False

    async def republish(self, letter: DeadLetter) -> None:
        if self.fail:
            raise ReplayFailed("Kafka: KafkaConnectionError")
        self.published.append(letter)
