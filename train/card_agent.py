"""Write agent-lm's model card (README.md) from train/card_agent_template.md, config.json, eval.json and golden.json.

  python3 train/card_agent.py [--dir models/agent-lm]
"""
import argparse
import json
import os

import construct_agent as ca
import nlm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=ca.MODEL_DIR)
    ap.add_argument("--template", default=os.path.join(nlm.HERE, "card_agent_template.md"))
    args = ap.parse_args()
    cfg = json.load(open(os.path.join(args.dir, "config.json")))
    ev = json.load(open(os.path.join(args.dir, "eval.json")))
    gold = json.load(open(os.path.join(args.dir, "golden.json")))["records"]
    rows = "\n".join("| %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f (%d conversations, %.2f of steps, up to %d tokens) |" % (
        r["length"], r["n"], r["direct"], r["call"], r["result"], r["no-tools"], r["agent"], r["agent_conversations"],
        r["agent_steps"], r["agent_final_tokens"]) for r in ev["results"])
    example = next(r for r in gold if r["scenario"] == "call")
    vals = dict(
        params=ev["params"], dim=cfg["hidden_size"], layers=cfg["num_hidden_layers"], heads=cfg["num_attention_heads"],
        kv=cfg["num_key_value_heads"], hd=cfg["head_dim"], vocab=cfg["vocab_size"], theta="%g" % cfg["rope_theta"],
        rows=rows, n_gold=len(gold), gold_ok=sum(r["reply_correct"] for r in gold),
        example_prompt=example["prompt_text"][-90:].replace("\n", "\\n"), example_reply=example["greedy_reply"],
        template=ca.CHAT_TEMPLATE,
    )
    card = open(args.template).read()
    for k, v in vals.items():
        card = card.replace("@@%s@@" % k, str(v))
    with open(os.path.join(args.dir, "README.md"), "w") as f:
        f.write(card)
    print("wrote model card")


if __name__ == "__main__":
    main()
