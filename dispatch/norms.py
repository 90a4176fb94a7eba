"""Response levels and per-capita norms, in plain Python: people → quantities, people → suggested level."""
import math
from dataclasses import dataclass

from common.errors import InvalidInput, Problems

LEVEL_ORDER = ("I", "II", "III", "IV")  # most severe first


@dataclass(frozen=True)
class LevelRule:
    level: str
    min_people: int
    time_target_minutes: int
    floor_draw: float
    mutual_aid: bool


# Thresholds for a county (hundreds to thousands of people); time targets: the national 10 h at
# level I, 12 h at II, 24 h at III and IV. All administrator-editable.
DEFAULT_LEVELS = (
    LevelRule("I", 10_000, 600, 1.0, True),
    LevelRule("II", 5_000, 720, 0.5, True),
    LevelRule("III", 1_000, 1440, 0.0, False),
    LevelRule("IV", 200, 1440, 0.0, False),
)


@dataclass(frozen=True)
class NormRule:
    item: str  # item code
    basis: str  # person, household, site
    quantity: float
    per_day: bool = False
    incident_types: tuple[str, ...] = ("all",)
    levels: tuple[str, ...] = LEVEL_ORDER
    source: str | None = None

    def applies(self, incident_type: str, level: str) -> bool:
        return ("all" in self.incident_types or incident_type in self.incident_types) and level in self.levels


def suggest_level(people: int, rules: list[LevelRule]) -> str | None:
    """The most severe level whose threshold the displaced-people count reaches (None: below level IV)."""
    for rule in sorted(rules, key=lambda r: LEVEL_ORDER.index(r.level)):
        if people >= rule.min_people:
            return rule.level
    return None


def gross_need(norm: NormRule, people: int, household_size: float, days: int) -> int:
    """Units of the norm's item one site with `people` displaced people needs, rounded up."""
    if people <= 0:
        return 0
    if norm.basis == "person":
        units = people
    elif norm.basis == "household":
        units = people / household_size
    else:  # "site" (check_norm admits no other basis)
        units = 1
    amount = units * norm.quantity * (days if norm.per_day else 1)
    return math.ceil(round(amount, 6))  # round first: 0.1 * 30 must not become 4


def check_levels(rules: list[LevelRule]) -> None:
    if sorted(r.level for r in rules) != sorted(LEVEL_ORDER):
        raise InvalidInput("give exactly the levels I, II, III and IV", field="levels",
                           message_code="levels_incomplete")
    ordered = sorted(rules, key=lambda r: LEVEL_ORDER.index(r.level))
    problems = Problems()  # every bad level named at once
    for i, r in enumerate(ordered):
        if r.min_people < 0:
            problems.add(InvalidInput(f"level {r.level}: min_people cannot be negative",
                                      field=f"levels[{i}].min_people", message_code="level_min_people_negative",
                                      params={"level": r.level}), line=i + 1, column="min_people")
        if r.time_target_minutes <= 0:
            problems.add(InvalidInput(f"level {r.level}: time target must be positive",
                                      field=f"levels[{i}].time_target_minutes",
                                      message_code="level_time_target_not_positive", params={"level": r.level}),
                         line=i + 1, column="time_target_minutes")
        if not 0 <= r.floor_draw <= 1:
            problems.add(InvalidInput(f"level {r.level}: floor_draw is a share from 0 to 1",
                                      field=f"levels[{i}].floor_draw", message_code="level_floor_draw_out_of_range",
                                      params={"level": r.level}), line=i + 1, column="floor_draw")
    for i in range(1, len(ordered)):
        if ordered[i].min_people > ordered[i - 1].min_people:
            milder, severer = ordered[i], ordered[i - 1]
            problems.add(InvalidInput("a more severe level needs at least as many displaced people as a milder one",
                                      field=f"levels[{i - 1}].min_people", message_code="level_thresholds_out_of_order",
                                      params={"level": severer.level, "milder": milder.level}),
                         line=i, column="min_people")
    problems.raise_any("levels", "the levels")
