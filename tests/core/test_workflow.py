"""The workflow engine on a plain object (no database): table, guards, preconditions, effects, the refusal."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from core.api import error_body
from core.workflow import Refusal, Step, TransitionNotAllowed, Workflow, move

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@dataclass
class Door:
    status: str = "closed"
    locked_by: str = ""
    saves: list[dict[str, Any]] = field(default_factory=list)
    after: list[str] = field(default_factory=list)

    def save(self, update_fields: list[str] | None = None) -> None:
        self.saves.append({"status": self.status, "fields": update_fields,
                           "user": getattr(self, "_history_user", "unset"),
                           "reason": getattr(self, "_change_reason", None)})


def _keyholder(door: Door, step: Step) -> Refusal | None:
    return None if step.options.get("key") else Refusal("You need the key.", code="no_key")


def _not_jammed(door: Door, step: Step) -> Refusal | None:
    return Refusal("The lock is jammed.") if step.options.get("jammed") else None


def _remember(door: Door, step: Step) -> None:
    door.locked_by = str(step.actor)
    step.changed.append("locked_by")


def _told(door: Door, step: Step) -> None:
    door.after.append(f"{step.source}->{step.target} at {step.now:%H:%M}")


def workflow(**options: Any) -> Workflow[Any]:
    return Workflow(
        transitions=(
            move("closed", "open", "open"),
            move("open", "closed", "close"),
            move("closed", "locked", "lock", guards=(_keyholder,), preconditions=(_not_jammed,),
                 effects=(_remember,), after_save=(_told,)),
            move("locked", "closed", "unlock", guards=(_keyholder,)),
            move({"open", "closed"}, "gone", "remove"),
        ),
        refused=lambda door, target: Refusal(f"A {door.status} door cannot become {target}."),
        **options,
    )


def test_a_move_sets_the_state_runs_the_effects_and_records_actor_and_reason() -> None:
    door = Door()
    moved = workflow(save_changed_only=True).transition(door, to="locked", actor="alice", key=True, now=NOW)
    assert moved is door and door.status == "locked" and door.locked_by == "alice"
    assert door.saves == [{"status": "locked", "fields": ["status", "locked_by"], "user": "alice", "reason": "lock"}]
    assert door.after == ["closed->locked at 09:30"]


def test_the_reason_given_is_recorded_cut_to_the_history_column() -> None:
    door = Door()
    workflow().transition(door, to="open", reason="x" * 300)
    assert door.saves[0]["reason"] == "x" * 100 and door.saves[0]["user"] == "unset"
    assert door.saves[0]["fields"] is None


def test_a_move_not_in_the_table_is_refused_with_the_allowed_targets() -> None:
    door = Door(status="open")
    with pytest.raises(TransitionNotAllowed) as caught:
        workflow().transition(door, to="locked", key=True)
    error = caught.value
    assert (error.current, error.target, error.allowed, error.code) == ("open", "locked", ["closed", "gone"],
                                                                        "invalid_transition")
    assert error.status_code == 409 and str(error) == "A open door cannot become locked."
    assert error_body(code=error.code, message=error.message, fields=error.fields)["error"]["fields"] == {
        "status": ["A open door cannot become locked."], "allowed": ["closed", "gone"]}
    assert door.saves == []


def test_a_guard_refuses_with_its_own_message_and_code_and_hides_the_target() -> None:
    door = Door()
    assert workflow().allowed_targets(door) == ["open", "gone"]
    assert workflow().allowed_targets(door, key=True) == ["open", "locked", "gone"]
    with pytest.raises(TransitionNotAllowed) as caught:
        workflow().transition(door, to="locked")
    assert (caught.value.code, caught.value.message, caught.value.allowed) == ("no_key", "You need the key.",
                                                                               ["open", "gone"])


def test_a_precondition_is_checked_only_when_moving() -> None:
    door = Door()
    assert "locked" in workflow().allowed_targets(door, key=True, jammed=True)
    with pytest.raises(TransitionNotAllowed) as caught:
        workflow().transition(door, to="locked", key=True, jammed=True)
    assert caught.value.message == "The lock is jammed." and caught.value.allowed == ["open", "gone"]
    assert door.status == "closed" and door.saves == []


def test_the_workflow_locks_the_row_first_and_returns_the_locked_copy() -> None:
    fresh = Door(status="open")
    moved = workflow(lock=lambda stale: fresh).transition(Door(status="closed"), to="closed")
    assert moved is fresh and fresh.status == "closed"


def test_changes_are_saved_with_the_move() -> None:
    door = Door()
    workflow(save_changed_only=True).transition(door, to="open", changes={"locked_by": "nobody"})
    assert door.locked_by == "nobody" and door.saves[0]["fields"] == ["status", "locked_by"]
