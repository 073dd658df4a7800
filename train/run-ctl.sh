#!/bin/sh
# One command to rebuild models/needle-ctl, the control retrieval model (CPU only; Debian python3-torch,
# libopenblas0-pthread, bible-kjv):
#
#   sh train/run-ctl.sh
#
# 1. tokenizer + corpus (shared with needle-lm)                  -> train/work/        (gitignored)
# 2. compile the circuit (nothing is trained)                     -> train/checkpoints/ (gitignored)
# 3. export the Jlama folder; the haystack is needle-lm's (link)  -> models/needle-ctl/
# 4. PyTorch accuracy check at 1024/2048 tokens + golden.json, 5. model card
set -e
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
OUT=models/needle-ctl
CKPT=train/checkpoints/ctl.pt
$PY train/construct_ctl.py --seed 1 --out $CKPT
$PY train/export.py --ckpt $CKPT --out $OUT --no-haystack
ln -sfn ../needle-lm/haystack-nt.txt $OUT/haystack-nt.txt
nice -n 10 $PY train/evaluate.py --dir $OUT --n "${EVAL_N:-110}" --lengths 1024 2048
$PY train/card.py --dir $OUT --ckpt $CKPT --template train/card_ctl_template.md
