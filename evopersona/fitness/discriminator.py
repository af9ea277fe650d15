"""Human-likeness discriminators: calibrated P(human) for the user side of a dialogue.

- `ForestDiscriminator`: the paper's model (method.md §1.7): StandardScaler + RandomForest(200 trees,
  depth 12, balanced classes, seed 42) on the 19 fingerprint features. It leans on turn length.
- `TextDiscriminator`: character n-gram TF-IDF + the giveaway features of real LLM simulators
  (`giveaways.py`: markdown, enumerations, complete sentences, politeness density...) + logistic
  regression on the text itself; it sees wording, punctuation and casing, so short turns in
  assistant phrasing still read as simulated, and the form features carry it across domains whose
  vocabulary it never saw.
- `CombinedDiscriminator`: the same plus the 19 fingerprint features, in one logistic regression.

Humans are label 1, simulated dialogues label 0. Negatives come in kinds (`negatives.py`); sample
weights give humans half the weight and each negative kind an equal part of the rest. Each model is
an unsupervised featuriser (scaler, TF-IDF) followed by a classifier; the featuriser never sees
labels, so it is fitted once on all the training inputs (the TF-IDF pass is the slow part) and only
the classifier is cross-validated (5 folds stratified by kind). The out-of-fold scores give the
CV ROC-AUC and a Platt calibration (`calibration.py`) applied on top of every prediction, with its
cross-fitted ECE in the `FitReport`. Saved with joblib next to a JSON sidecar holding the report.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import joblib
import numpy as np
from pydantic import BaseModel, ConfigDict
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from evopersona.errors import InputError
from evopersona.fitness.calibration import PlattCalibration, cross_fitted, expected_calibration_error
from evopersona.fitness.fingerprint import FEATURE_NAMES, fingerprint_many
from evopersona.fitness.giveaways import giveaways_many
from evopersona.fitness.negatives import HUMAN, balanced_weights

CV_FOLDS = 5
# TF-IDF rows have unit L2 norm spread over thousands of columns while standardised fingerprint
# columns have unit variance each: unweighted, the 19 length-heavy columns would dominate the model.
# The giveaway columns get the same down-weighting for the same reason.
FINGERPRINT_WEIGHT = 0.2
GIVEAWAY_WEIGHT = FINGERPRINT_WEIGHT
SEED = 42
N_JOBS = 2


class FitReport(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: str
    cv_roc_auc: float
    cv_roc_auc_std: float
    cv_folds: list[float]
    n_human: int
    n_simulated: int
    ece: float
    ece_uncalibrated: float
    calibration: PlattCalibration
    negatives: dict[str, int]
    top_features: dict[str, float] = {}


def join_turns(turns: list[str]) -> str:
    """A dialogue's user turns as one text, one turn per line (newlines inside a turn become spaces)."""
    return "\n".join(t.replace("\n", " ") for t in turns if t)


def _split(texts: list[str]) -> list[list[str]]:
    return [t.split("\n") if t else [] for t in texts]


def _fingerprints_of_texts(texts: list[str]) -> np.ndarray:
    return fingerprint_many(_split(texts))


def _giveaways_of_texts(texts: list[str]) -> np.ndarray:
    return giveaways_many(_split(texts))


def _tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False, sublinear_tf=True,
                           min_df=2, max_features=100_000, dtype=np.float32)


def _logistic() -> LogisticRegression:
    return LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)


class Discriminator:
    """Common fit / score / persist logic; subclasses say what the model sees and what it is."""

    kind: ClassVar[str] = ""

    def __init__(self) -> None:
        self.model: Any = None
        self.report: FitReport | None = None
        self.calibration = PlattCalibration()

    def _inputs(self, dialogues: list[list[str]]) -> Any:
        return [join_turns(d) for d in dialogues]

    def _featurizer(self) -> Any:
        raise NotImplementedError

    def _classifier(self) -> Any:
        return _logistic()

    def fit(self, human: list[list[str]], simulated: list[list[str]], folds: int = CV_FOLDS,
            kinds: list[str] | None = None) -> FitReport:
        """Fit on human (1) vs simulated (0) dialogues, `kinds` naming each simulated dialogue's kind
        of negative (one kind if omitted); cross-validate, then calibrate on the out-of-fold scores."""
        if len(human) < folds or len(simulated) < folds:
            raise InputError(f"need at least {folds} human and {folds} simulated dialogues to fit a discriminator")
        kinds = kinds or ["simulated"] * len(simulated)
        groups = [HUMAN] * len(human) + list(kinds)
        x = self._inputs(human + simulated)
        y = np.r_[np.ones(len(human), dtype=int), np.zeros(len(simulated), dtype=int)]
        weights = balanced_weights(groups)
        featurizer = self._featurizer()
        features = featurizer.fit_transform(x)
        split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED).split(features, groups)
        test_folds = [test for _, test in split]
        scores, fold_auc = np.zeros(len(y)), []
        for test in test_folds:
            train = np.setdiff1d(np.arange(len(y)), test)
            classifier = self._classifier().fit(features[train], y[train], sample_weight=weights[train])
            scores[test] = self._positive(classifier, features[test])
            fold_auc.append(float(roc_auc_score(y[test], scores[test], sample_weight=weights[test])))
        self.calibration = PlattCalibration.fit(scores, y, weights)
        self.model = make_pipeline(featurizer, self._classifier().fit(features, y, sample_weight=weights))
        self.report = FitReport(
            kind=self.kind, cv_roc_auc=float(np.mean(fold_auc)), cv_roc_auc_std=float(np.std(fold_auc)),
            cv_folds=fold_auc, n_human=len(human), n_simulated=len(simulated),
            ece=expected_calibration_error(cross_fitted(scores, y, weights, test_folds), y, weights),
            ece_uncalibrated=expected_calibration_error(scores, y, weights), calibration=self.calibration,
            negatives={k: kinds.count(k) for k in sorted(set(kinds))}, top_features=self._importances(),
        )
        return self.report

    @staticmethod
    def _positive(model: Any, x: Any) -> np.ndarray:
        return model.predict_proba(x)[:, list(model.classes_).index(1)]

    def _importances(self) -> dict[str, float]:
        return {}

    def p_human(self, dialogues: list[list[str]]) -> np.ndarray:
        """P(human) of each dialogue (its list of user turns)."""
        if self.model is None:
            raise InputError(f"{self.kind} discriminator is not fitted")
        if not dialogues:
            return np.zeros(0)
        return self._proba(self._inputs(dialogues))

    def _proba(self, x: Any) -> np.ndarray:
        return self.calibration.apply(self._positive(self.model, x))

    def save(self, path: Path) -> None:
        """Write the model (joblib) and `<path>.json` with the fit report."""
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"kind": self.kind, "model": self.model, "report": self.report, "calibration": self.calibration}, path)
        report = self.report.model_dump(mode="json") if self.report else None
        path.with_suffix(path.suffix + ".json").write_text(json.dumps({"kind": self.kind, "report": report}, indent=2))

    @classmethod
    def load(cls, path: Path) -> Discriminator:
        """Load a saved discriminator; on the base class, the kind stored in the file decides."""
        if not path.is_file():
            raise InputError(f"{path}: discriminator file not found")
        data = joblib.load(path)
        kind = data.get("kind") if isinstance(data, dict) else None
        target = cls if cls.kind else DISCRIMINATORS.get(kind or "")
        if target is None or kind != target.kind:
            raise InputError(f"{path}: not a saved {cls.kind or 'discriminator'} (found {kind!r})")
        out = target()
        if "calibration" not in data:
            raise InputError(f"{path}: saved by an older evopersona without calibration; delete the reference folder to refit")
        out.model, out.report, out.calibration = data["model"], data["report"], data["calibration"]
        return out


class ForestDiscriminator(Discriminator):
    kind = "forest"

    def _inputs(self, dialogues: list[list[str]]) -> np.ndarray:
        return fingerprint_many(dialogues)

    def _featurizer(self) -> StandardScaler:
        return StandardScaler()

    def _classifier(self) -> RandomForestClassifier:
        return RandomForestClassifier(n_estimators=200, max_depth=12, class_weight="balanced",
                                      random_state=SEED, n_jobs=N_JOBS)

    def p_human_fp(self, fingerprints: np.ndarray) -> np.ndarray:
        """P(human) from precomputed fingerprints (saves recomputing them during fitness)."""
        if self.model is None:
            raise InputError("forest discriminator is not fitted")
        return self._proba(fingerprints) if len(fingerprints) else np.zeros(0)

    def _importances(self) -> dict[str, float]:
        weights = self.model[-1].feature_importances_
        ranked = sorted(zip(FEATURE_NAMES, weights, strict=True), key=lambda p: -p[1])
        return {name: round(float(w), 4) for name, w in ranked}


def _giveaways() -> Any:
    return make_pipeline(FunctionTransformer(_giveaways_of_texts), StandardScaler())


class TextDiscriminator(Discriminator):
    kind = "text"

    def _featurizer(self) -> FeatureUnion:
        return FeatureUnion([("text", _tfidf()), ("giveaways", _giveaways())],
                            transformer_weights={"text": 1.0, "giveaways": GIVEAWAY_WEIGHT})


class CombinedDiscriminator(Discriminator):
    kind = "combined"

    def _featurizer(self) -> FeatureUnion:
        fingerprints = make_pipeline(FunctionTransformer(_fingerprints_of_texts), StandardScaler())
        return FeatureUnion([("text", _tfidf()), ("fingerprint", fingerprints), ("giveaways", _giveaways())],
                            transformer_weights={"text": 1.0, "fingerprint": FINGERPRINT_WEIGHT, "giveaways": GIVEAWAY_WEIGHT})


DISCRIMINATORS: dict[str, type[Discriminator]] = {
    d.kind: d for d in (ForestDiscriminator, TextDiscriminator, CombinedDiscriminator)
}
