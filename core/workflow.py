"""The one workflow engine: a declared transition table per model and one `transition(obj, to=…, actor=…, reason=…)`.

Each app declares a `Workflow` in its `workflow.py`: the transitions (from which states, to which state, under a
name), the guards that may refuse one and the effects that go with it, side by side. `Workflow.transition` is the
only code that changes the state field: it locks the row when the workflow says how, picks the first declared
transition from the current state to `to` whose guards all pass, applies the caller's `changes` and the effects,
saves (simple-history records the actor and the reason) and runs the after-save effects.

A refused move raises `TransitionNotAllowed` (an `ApplicationError`, so the API answers 409 with the allowed
targets in `fields.allowed`); HTML pages show its message as a form error.

Written here rather than taken from django-fsm / viewflow: those bind transitions to model methods and have no
notion of the row lock, the after-commit side effects and the error shape every app here shares.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.db import models, transaction
from django.utils import timezone
from rest_framework import status

from core.api import ApplicationError

Model = TypeVar("Model", bound=models.Model)
# simple-history's `history_change_reason` column is a CharField of this length.
CHANGE_REASON_MAX = 100
_UNSET: Any = object()


@dataclass(frozen=True)
class Refusal:
    """Why a guard refuses a move; `code` is the API error code."""

    message: str
    code: str = "invalid_transition"


@dataclass
class Step:
    """What guards and effects see: the move being made and the caller's options (e.g. the acting role)."""

    source: str
    target: str
    name: str
    actor: Any
    reason: str
    now: datetime
    options: Mapping[str, Any]
    # Fields the effects changed besides the state field (saved with `update_fields` when the workflow asks).
    changed: list[str] = field(default_factory=list)
    # The chosen transition's effects that need the saved row, run by whoever saves it.
    after_save: tuple[Callable[[Any, "Step"], None], ...] = ()


Guard = Callable[[Any, Step], Refusal | None]
Effect = Callable[[Any, Step], None]


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    name: str
    # Checked for `allowed_targets` and before the move: cheap tests on the row and the options.
    guards: tuple[Guard, ...] = ()
    # Checked only when the move is made, under the lock: tests that query (e.g. open sub-tickets).
    preconditions: tuple[Guard, ...] = ()
    # Run after the state is set, before the save; then `after_save` effects, after it.
    effects: tuple[Effect, ...] = ()
    after_save: tuple[Effect, ...] = ()


def move(source: str | Iterable[str], target: str, name: str = "", **parts: Any) -> Transition:
    """A table row: `move(S.DRAFT, S.IN_REVIEW, "submit", guards=(…,))`."""
    sources = frozenset({source} if isinstance(source, str) else source)
    return Transition(sources=sources, target=target, name=name or str(target), **parts)


class TransitionNotAllowed(ApplicationError):
    """The object cannot move to `target` now; `allowed` lists where it can go (the API answers 409)."""

    def __init__(self, *, current: str, target: str, allowed: list[str], message: str,
                 code: str = "invalid_transition") -> None:
        self.current = current
        self.target = target
        self.allowed = allowed
        super().__init__(message, code=code, status_code=status.HTTP_409_CONFLICT,
                         fields={"status": [message], "allowed": allowed})


class Workflow(Generic[Model]):
    def __init__(
        self, *, transitions: Iterable[Transition], refused: Callable[[Model, str], Refusal],
        lock: Callable[[Model], Model] | None = None, atomic: bool = False, field: str = "status",
        save_changed_only: bool = False,
    ) -> None:
        """`refused(obj, target)` words the refusal when no transition leads there; `lock` re-reads the row
        under `select_for_update` (None: the caller holds it locked); `atomic` opens the transaction here."""
        self.transitions = tuple(transitions)
        self.refused = refused
        self.lock = lock
        self.atomic = atomic
        self.field = field
        self.save_changed_only = save_changed_only

    def state(self, obj: Model) -> str:
        return str(getattr(obj, self.field))

    def _step(self, obj: Model, transition: Transition, *, actor: Any, reason: str, now: datetime | None,
              options: Mapping[str, Any]) -> Step:
        return Step(source=self.state(obj), target=str(transition.target), name=transition.name, actor=actor,
                    reason=reason, now=now or timezone.now(), options=options, after_save=transition.after_save)

    @staticmethod
    def _first_refusal(guards: Iterable[Guard], obj: Any, step: Step) -> Refusal | None:
        return next((refusal for guard in guards if (refusal := guard(obj, step)) is not None), None)

    def allowed_transitions(self, obj: Model, *, actor: Any = None, now: datetime | None = None,
                            **options: Any) -> list[Transition]:
        """The transitions open to `obj` now (guards checked, preconditions not), in table order."""
        current = self.state(obj)
        return [
            transition for transition in self.transitions
            if current in transition.sources and self._first_refusal(
                transition.guards, obj, self._step(obj, transition, actor=actor, reason="", now=now, options=options),
            ) is None
        ]

    def allowed_targets(self, obj: Model, *, actor: Any = None, now: datetime | None = None,
                        **options: Any) -> list[str]:
        """The states `obj` may move to now, in table order."""
        transitions = self.allowed_transitions(obj, actor=actor, now=now, **options)
        return list(dict.fromkeys(str(transition.target) for transition in transitions))

    def transition(self, obj: Model, *, to: str, actor: Any = _UNSET, reason: str = "",
                   changes: Mapping[str, Any] | None = None, now: datetime | None = None, **options: Any) -> Model:
        """Move `obj` to `to` and return the saved row (the locked copy when the workflow locks: use it).

        `changes` are other fields set in the same save, so the history row holds the whole step; `options`
        reach the guards and effects (e.g. `by=Actor.MERCHANT`, `override=True`). Raises TransitionNotAllowed.
        """
        if self.atomic:
            with transaction.atomic():
                return self._transition(obj, to=to, actor=actor, reason=reason, changes=changes, now=now,
                                        options=options)
        return self._transition(obj, to=to, actor=actor, reason=reason, changes=changes, now=now, options=options)

    def _transition(self, obj: Model, *, to: str, actor: Any, reason: str, changes: Mapping[str, Any] | None,
                    now: datetime | None, options: Mapping[str, Any]) -> Model:
        if self.lock is not None:
            obj = self.lock(obj)
        step = self.apply(obj, to=to, actor=actor, reason=reason, changes=changes, now=now, **options)
        if self.save_changed_only:
            obj.save(update_fields=list(dict.fromkeys([self.field, *(changes or {}), *step.changed])))
        else:
            obj.save()
        for effect in step.after_save:
            effect(obj, step)
        return obj

    def apply(self, obj: Model, *, to: str, actor: Any = _UNSET, reason: str = "",
              changes: Mapping[str, Any] | None = None, now: datetime | None = None, **options: Any) -> Step:
        """The move on the row in memory, without locking or saving it: for set-based callers that hold the rows
        locked and write many at once (tickets.services.batch), then run the transition's `after_save` effects.
        Raises TransitionNotAllowed as `transition` does."""
        now = now or timezone.now()
        reason = str(reason)
        guard_actor = None if actor is _UNSET else actor
        transition, step = self._choose(obj, str(to), actor=guard_actor, reason=reason, now=now, options=options)
        refusal = self._first_refusal(transition.preconditions, obj, step)
        if refusal is not None:
            allowed = [target for target in self.allowed_targets(obj, actor=guard_actor, now=now, **options)
                       if target != step.target]
            raise TransitionNotAllowed(current=step.source, target=step.target, allowed=allowed,
                                       message=refusal.message, code=refusal.code)
        for name, value in (changes or {}).items():
            setattr(obj, name, value)
        setattr(obj, self.field, transition.target)
        for effect in transition.effects:
            effect(obj, step)
        if actor is not _UNSET:
            obj._history_user = actor  # type: ignore[attr-defined]  # simple-history's per-save actor
        obj._change_reason = (reason or transition.name)[:CHANGE_REASON_MAX]  # type: ignore[attr-defined]
        return step

    def _choose(self, obj: Model, target: str, *, actor: Any, reason: str, now: datetime,
                options: Mapping[str, Any]) -> tuple[Transition, Step]:
        """The first transition from the current state to `target` whose guards pass."""
        current = self.state(obj)
        first_refusal: Refusal | None = None
        for transition in self.transitions:
            if current not in transition.sources or str(transition.target) != target:
                continue
            step = self._step(obj, transition, actor=actor, reason=reason, now=now, options=options)
            refusal = self._first_refusal(transition.guards, obj, step)
            if refusal is None:
                return transition, step
            first_refusal = first_refusal or refusal
        refusal = first_refusal or self.refused(obj, target)
        raise TransitionNotAllowed(current=current, target=target, message=refusal.message, code=refusal.code,
                                   allowed=self.allowed_targets(obj, actor=actor, now=now, **options))
