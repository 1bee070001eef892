"""The tuned ranking weights and the calibrated confidence, as committed in knowledge/data/bot_model.json
(written by `python -m knowledge.tuning`, fitted on the dev split only)."""

import dataclasses
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from knowledge.ranking import Params, Ranker

MODEL_FILE = Path(__file__).resolve().parent / "data" / "bot_model.json"
# What the confidence is computed from, in this order (see Ranker._features).
FEATURES = ("score", "margin", "similarity", "closeness", "coverage", "unknown", "bm25", "words", "top_bm25",
            "closeness_margin", "agreement", "meaning", "english")


@dataclass(frozen=True)
class BotModel:
    params: Params
    coefficients: tuple[float, ...]
    intercept: float
    threshold: float

    def confidence(self, features: Mapping[str, float]) -> float:
        """The calibrated probability that the top-ranked article answers the question."""
        if not features:
            return 0.0
        value = self.intercept + sum(c * features.get(name, 0.0) for c, name in zip(self.coefficients, FEATURES,
                                                                                     strict=True))
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, value))))

    def answerer(self, ranker: Ranker) -> Callable[[str], tuple[list[str], float]]:
        def answer(text: str) -> tuple[list[str], float]:
            ranking = ranker.rank(text)
            return [ranker.documents[c.index].key for c in ranking.candidates], self.confidence(ranking.features)

        return answer

    def as_json(self) -> dict[str, Any]:
        return {
            "fitted_on": "dev", "params": dataclasses.asdict(self.params), "features": list(FEATURES),
            "coefficients": list(self.coefficients), "intercept": self.intercept, "threshold": self.threshold,
        }


@lru_cache(maxsize=1)
def load(path: Path = MODEL_FILE) -> BotModel:
    data = json.loads(path.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{path} was fitted on other features; run python -m knowledge.tuning")
    return BotModel(params=Params(**data["params"]), coefficients=tuple(data["coefficients"]),
                    intercept=data["intercept"], threshold=data["threshold"])
