#!/bin/sh
# One command to rebuild models/agent-lm, the embedded tool-calling model (CPU only; Debian python3-torch). It reuses
# needle-lm's tokenizer, keys, words and haystack, so it needs models/needle-lm and nothing else:
#
#   sh train/run-agent.sh
#
# 1. compile the circuit and export the Jlama folder (nothing is trained)   -> models/agent-lm/
# 2. PyTorch accuracy check at 512/1024/2048 tokens + golden.json, 3. model card
set -e
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
OUT=models/agent-lm
$PY train/construct_agent.py --out $OUT
nice -n 10 $PY train/evaluate_agent.py --dir $OUT --n "${EVAL_N:-20}" --lengths 512 1024 2048
$PY train/card_agent.py --dir $OUT
