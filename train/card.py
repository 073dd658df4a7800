"""Write a model card (README.md) from a template, the checkpoint's state, eval.json and golden.json; for a model
with a trained part also training-curve.png.

  python3 train/card.py [--dir models/needle-lm] [--ckpt train/checkpoints/final.pt] [--template train/card_template.md]
"""
import argparse
import json
import os

import torch

import nlm


def plot(hist, ev, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].plot([h["step"] for h in hist], [h["lm_loss"] for h in hist])
    ax[0].set_title("trained LM readout: next-token loss (OT samples)")
    ax[0].set_xlabel("step")
    for r in ev["results"]:
        ks = list(r["per_depth"].keys())
        ax[1].plot(ks, [r["per_depth"][k] for k in ks], marker="o", label="%d tokens" % r["length"])
    ax[1].set_ylim(0, 1.05)
    ax[1].set_title("exact match vs needle depth (held-out NT)")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=70)
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=nlm.MODEL_DIR)
    ap.add_argument("--ckpt", default=os.path.join(nlm.HERE, "checkpoints", "final.pt"))
    ap.add_argument("--template", default=os.path.join(nlm.HERE, "card_template.md"))
    args = ap.parse_args()
    D = args.dir
    ck = torch.load(args.ckpt)
    st = ck["state"]
    cfg = ck["cfg"]
    ev = json.load(open(os.path.join(D, "eval.json")))
    gold = json.load(open(os.path.join(D, "golden.json")))
    if st["hist"]:
        plot(st["hist"], ev, os.path.join(D, "training-curve.png"))
    jl = os.path.join(D, "jlama-check.json")
    jcheck = json.load(open(jl)) if os.path.exists(jl) else None
    rows = "\n".join("| %d | %d | %.1f | %.3f | %.3f | %s |" % (
        r["length"], r["n"], r["mean_tokens"], r["exact_match"], r["value_match_ignoring_eos"],
        " ".join("%s:%.2f" % (k, v) for k, v in r["per_depth"].items())) for r in ev["results"])
    ex = gold["records"][0]
    vals = dict(
        params=ev["params"], dim=cfg["dim"], layers=cfg["layers"], heads=cfg["heads"], kv=cfg["kv_heads"],
        hd=cfg["head_dim"], ffn=cfg["ffn"], vocab=cfg["vocab"], theta="%g" % cfg["theta"],
        steps=st["step"], wall=st["elapsed"] / 60, cpu=st["cpu"] / 60,
        lm_first=st["hist"][0]["lm_loss"] if st["hist"] else float("nan"),
        lm_last=st["hist"][-1]["lm_loss"] if st["hist"] else float("nan"),
        rows=rows, n_gold=len(gold["records"]), gold_ok=sum(r["answer_correct"] for r in gold["records"]),
        jcheck=(json.dumps(jcheck) if jcheck else "not run"),
        example_prompt=ex["prompt_text"][-120:].replace("\n", "\\n"), example_answer=ex["expected_answer"],
    )
    card = open(args.template).read()
    for k, v in vals.items():
        card = card.replace("@@%s@@" % k, ("%.2f" % v) if isinstance(v, float) else str(v))
    with open(os.path.join(D, "README.md"), "w") as f:
        f.write(card)
    print("wrote model card")


if __name__ == "__main__":
    main()
