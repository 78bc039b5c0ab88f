"""Loading shipped models once per process, and explaining a decision with a span."""

from __future__ import annotations

import threading
from pathlib import Path

from qc_engine.chat import Chat
from qc_engine.ml.linear import LinearTextModel
from qc_engine.settings import get_settings

_LOCK = threading.Lock()
_MODELS: dict[tuple[str, int], LinearTextModel] = {}


def models_dir() -> Path:
    """The configured models folder (QC_MODELS, else the package's own)."""
    return get_settings().model_dir


def load_model(name: str) -> LinearTextModel:
    """A model folder (name relative to the models folder, or a path), loaded once per process and
    again when its file changes."""
    path = Path(name)
    directory = path if path.is_absolute() else models_dir() / path
    arrays = directory / "model.npz"
    stamp = arrays.stat().st_mtime_ns if arrays.exists() else 0
    key = (str(directory.resolve()), stamp)
    with _LOCK:
        model = _MODELS.get(key)
        if model is None:
            model = _MODELS[key] = LinearTextModel.load(directory)
        return model


def evidence_span(chat: Chat, index: int, grams: list[str]) -> tuple[int, int] | None:
    """The span of the message covering the strongest n-gram and those overlapping it."""
    text = chat.norm[index].text
    start = end = -1
    for gram in grams:
        at = text.find(gram)
        if at < 0:
            continue
        if start < 0:
            start, end = at, at + len(gram)
        elif at <= end and at + len(gram) >= start:
            start, end = min(start, at), max(end, at + len(gram))
    if start < 0:
        return None
    return chat.norm[index].to_original(start, end)
