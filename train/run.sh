#!/bin/sh
# One command to reproduce models/needle-lm from scratch (CPU only, Debian python3-torch + bible-kjv):
#
#   sh train/run.sh            # fresh, seeded run; MAX_MINUTES=85 by default
#   RESUME=1 sh train/run.sh   # continue from train/checkpoints/last.pt (elapsed time counts)
#
# Steps: build corpus + tokenizer (train/work/), train (train/checkpoints/), export the Jlama folder
# (models/needle-lm/), accuracy check + golden.json, model card figure/table.
set -e
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
MAX_MINUTES=${MAX_MINUTES:-85}
if [ -n "$RESUME" ]; then R=--resume; else R=; fi
nice -n 10 $PY train/train.py --max-minutes "$MAX_MINUTES" --seed 1 --lr 3e-3 $R
$PY train/export.py --ckpt train/checkpoints/final.pt
nice -n 10 $PY train/evaluate.py --n 220 --lengths 1024 2048
$PY train/card.py
