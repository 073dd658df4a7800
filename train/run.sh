#!/bin/sh
# One command to reproduce models/needle-lm (CPU only; Debian python3-torch, libopenblas0-pthread, bible-kjv,
# optionally python3-matplotlib):
#
#   sh train/run.sh
#
# 1. corpus (bible-kjv OT for training, NT held out) + tokenizer  -> train/work/        (gitignored)
# 2. compile the attention circuit, train the LM readout (seeded)  -> train/checkpoints/ (gitignored)
# 3. export the Jlama folder + haystack-nt.txt                     -> models/needle-lm/
# 4. PyTorch accuracy check at 1024/2048 tokens + golden.json, 5. model card + figure
# Plain from-scratch training was tried first and abandoned (it stayed at chance level; see the model card).
set -e
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
nice -n 10 $PY train/construct.py --readout-minutes "${READOUT_MINUTES:-6}" --seed 1
$PY train/export.py --ckpt train/checkpoints/final.pt
nice -n 10 $PY train/evaluate.py --n "${EVAL_N:-200}" --lengths 1024 2048
$PY train/card.py
