"""Travel-time models: a constant per team (default), or straight-line distance when both places
have coordinates (falling back to the team's constant when one does not)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scheduling.domain.staffing import ConstantTravel, Place, TravelTime
from scheduling.domain.team import Team

EARTH_RADIUS_KM = 6371.0


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class StraightLineTravel:
    """Minutes = straight-line km x detour factor / speed, plus a fixed stop time (parking, door)."""

    fallback: ConstantTravel
    speed_kmh: float = 30.0
    detour: float = 1.3
    stop_minutes: int = 5

    def minutes(self, origin: Place, destination: Place) -> int:
        if origin.key == destination.key:
            return 0
        if origin.coordinates is None or destination.coordinates is None:
            return self.fallback.minutes(origin, destination)
        km = haversine_km(origin.coordinates, destination.coordinates) * self.detour
        return self.stop_minutes + math.ceil(km / self.speed_kmh * 60)


@dataclass(frozen=True)
class TravelModels:
    """`TravelProvider`: which model every team uses (set per deployment)."""

    model: Literal["constant", "straight_line"] = "straight_line"
    speed_kmh: float = 30.0

    def for_team(self, team: Team) -> TravelTime:
        constant = ConstantTravel(team.rules.travel_minutes)
        if self.model == "constant":
            return constant
        return StraightLineTravel(constant, speed_kmh=self.speed_kmh)
