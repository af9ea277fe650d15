"""Human-likeness discriminators: P(human) for the user side of a dialogue.

- `ForestDiscriminator`: the paper's model (method.md §1.7): StandardScaler + RandomForest(200 trees,
  depth 12, balanced classes, seed 42) on the 19 fingerprint features. It leans on turn length.
- `TextDiscriminator`: character n-gram TF-IDF + logistic regression on the text itself; it sees
  wording, punctuation and casing, so short turns in assistant phrasing still read as simulated.
- `CombinedDiscriminator`: one logistic regression on both feature sets.

Humans are label 1, simulated dialogues label 0. Each model is an unsupervised featuriser (scaler,
TF-IDF) followed by a classifier; the featuriser never sees labels, so it is fitted once on all the
training inputs and only the classifier is cross-validated (5-fold ROC-AUC in the `FitReport`): the
TF-IDF pass is the slow part. Saved with joblib next to a JSON sidecar holding the report.
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
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from evopersona.errors import InputError
from evopersona.fitness.fingerprint import FEATURE_NAMES, fingerprint_many

CV_FOLDS = 5
# TF-IDF rows have unit L2 norm spread over thousands of columns while standardised fingerprint
# columns have unit variance each: unweighted, the 19 length-heavy columns would dominate the model.
FINGERPRINT_WEIGHT = 0.2
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
    top_features: dict[str, float] = {}


def join_turns(turns: list[str]) -> str:
    """A dialogue's user turns as one text, one turn per line (newlines inside a turn become spaces)."""
    return "\n".join(t.replace("\n", " ") for t in turns if t)


def _fingerprints_of_texts(texts: list[str]) -> np.ndarray:
    return fingerprint_many([t.split("\n") if t else [] for t in texts])


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

    def _inputs(self, dialogues: list[list[str]]) -> Any:
        return [join_turns(d) for d in dialogues]

    def _featurizer(self) -> Any:
        raise NotImplementedError

    def _classifier(self) -> Any:
        return _logistic()

    def fit(self, human: list[list[str]], simulated: list[list[str]], folds: int = CV_FOLDS) -> FitReport:
        """Fit on human (1) vs simulated (0) dialogues; report cross-validated ROC-AUC first."""
        if len(human) < folds or len(simulated) < folds:
            raise InputError(f"need at least {folds} human and {folds} simulated dialogues to fit a discriminator")
        x = self._inputs(human + simulated)
        y = np.r_[np.ones(len(human), dtype=int), np.zeros(len(simulated), dtype=int)]
        featurizer = self._featurizer()
        features = featurizer.fit_transform(x)
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
        scores = cross_val_score(self._classifier(), features, y, cv=cv, scoring="roc_auc", n_jobs=1)
        self.model = make_pipeline(featurizer, self._classifier().fit(features, y))
        self.report = FitReport(
            kind=self.kind, cv_roc_auc=float(scores.mean()), cv_roc_auc_std=float(scores.std()),
            cv_folds=[float(s) for s in scores], n_human=len(human), n_simulated=len(simulated),
            top_features=self._importances(),
        )
        return self.report

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
        classes = list(self.model.classes_)
        return self.model.predict_proba(x)[:, classes.index(1)]

    def save(self, path: Path) -> None:
        """Write the model (joblib) and `<path>.json` with the fit report."""
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"kind": self.kind, "model": self.model, "report": self.report}, path)
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
        out.model, out.report = data["model"], data["report"]
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


class TextDiscriminator(Discriminator):
    kind = "text"

    def _featurizer(self) -> TfidfVectorizer:
        return _tfidf()


class CombinedDiscriminator(Discriminator):
    kind = "combined"

    def _featurizer(self) -> FeatureUnion:
        fingerprints = make_pipeline(FunctionTransformer(_fingerprints_of_texts), StandardScaler())
        return FeatureUnion([("text", _tfidf()), ("fingerprint", fingerprints)],
                            transformer_weights={"text": 1.0, "fingerprint": FINGERPRINT_WEIGHT})


DISCRIMINATORS: dict[str, type[Discriminator]] = {
    d.kind: d for d in (ForestDiscriminator, TextDiscriminator, CombinedDiscriminator)
}
