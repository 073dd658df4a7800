"""Write models/needle-lm/README.md (model card) and training-curve.png from the training log and eval.json."""
import json
import os

import torch

import nlm

D = nlm.MODEL_DIR
CK = os.path.join(nlm.HERE, "checkpoints")


def plot(hist, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    t = [h["t"] / 60 for h in hist]
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    ax[0].plot(t, [h["loss_ans"] for h in hist], label="answer-token loss")
    ax[0].plot(t, [h["loss_lm"] for h in hist], label="filler LM loss (weight 0.1)", alpha=0.7)
    ax[0].set_xlabel("wall minutes")
    ax[0].set_yscale("log")
    ax[0].legend()
    ax[1].plot(t, [h["em"] for h in hist], label="train exact match (rolling)")
    ax2 = ax[1].twinx()
    ax2.plot(t, [h["T"] for h in hist], color="gray", alpha=0.4, label="sequence length")
    ax2.set_ylabel("tokens")
    ax[1].set_xlabel("wall minutes")
    ax[1].set_ylim(0, 1.02)
    ax[1].legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    return True


def main():
    ck = torch.load(os.path.join(CK, "final.pt"))
    st = ck["state"]
    cfg = ck["cfg"]
    hist = st["hist"]
    plot(hist, os.path.join(D, "training-curve.png"))
    ev = json.load(open(os.path.join(D, "eval.json")))
    gold = json.load(open(os.path.join(D, "golden.json")))
    jl = os.path.join(D, "jlama-check.json")
    jcheck = json.load(open(jl)) if os.path.exists(jl) else None
    reached = max(h["T"] for h in hist)
    stage_t = {}
    for h in hist:
        stage_t.setdefault(h["stage"], h["t"])
    rows = "\n".join("| %d | %d | %.3f | %.3f | %s |" % (
        r["length"], r["n"], r["exact_match"], r["value_match_ignoring_eos"],
        " ".join("%s:%.2f" % (k, v) for k, v in r["per_depth"].items())) for r in ev["results"])
    ex = gold["records"][0]
    card = open(os.path.join(nlm.HERE, "card_template.md")).read()
    vals = dict(
        params=ev["params"], dim=cfg["dim"], layers=cfg["layers"], heads=cfg["heads"], kv=cfg["kv_heads"],
        hd=cfg["head_dim"], ffn=cfg["ffn"], vocab=cfg["vocab"], theta=cfg["theta"],
        steps=st["step"], wall=st["elapsed"] / 60, cpu=st["cpu"] / 60, reached=reached,
        stages=", ".join("stage %d from %.1f min" % (k, v / 60) for k, v in sorted(stage_t.items())),
        rows=rows, n_gold=len(gold["records"]), gold_ok=sum(r["answer_correct"] for r in gold["records"]),
        jcheck=(json.dumps(jcheck) if jcheck else "not run"),
        example_prompt=ex["prompt_text"][-160:].replace("\n", "\\n"), example_answer=ex["expected_answer"],
    )
    for k, v in vals.items():
        card = card.replace("@@%s@@" % k, ("%.1f" % v) if isinstance(v, float) else str(v))
    with open(os.path.join(D, "README.md"), "w") as f:
        f.write(card)
    print("wrote model card")


if __name__ == "__main__":
    main()
