"""Accuracy check (PyTorch) of the exported model + golden.json for the Java tests.

  python3 train/evaluate.py [--dir models/needle-lm] [--n 220] [--lengths 1024 2048]

Reads the exported model.safetensors (so the export itself is tested), evaluates exact-match
multi-key retrieval on held-out New Testament filler, writes <dir>/eval.json and <dir>/golden.json.
"""
import argparse
import json
import os
import random
import struct
import time

import numpy as np
import torch

import nlm

DEPTHS = [i / 10 for i in range(11)]
EVAL_KINDS = [0, 0, 0, 0, 1, 2]   # asked needle (index 0) is a magic number; 3 more magic numbers + 2 other facts


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in h.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[a:b], dtype="<f4").reshape(v["shape"]).copy())
    return out


def load_exported(d):
    with open(os.path.join(d, "config.json")) as f:
        c = json.load(f)
    cfg = nlm.Cfg(c["vocab_size"], dim=c["hidden_size"], layers=c["num_hidden_layers"], heads=c["num_attention_heads"],
                  kv_heads=c["num_key_value_heads"], ffn=c["intermediate_size"], theta=c["rope_theta"], eps=c["rms_norm_eps"])
    model = nlm.LM(cfg)
    st = read_safetensors(os.path.join(d, "model.safetensors"))
    sd = {}
    for k, v in st.items():
        k2 = k.replace("model.", "", 1) if k.startswith("model.") else k
        k2 = k2.replace("self_attn.", "").replace("mlp.", "")
        sd[k2] = v
    model.load_state_dict(sd)
    model.eval()
    return model, cfg


def eval_sample(rng, tok, keys, words, filler, L, depth):
    ids, ans, info = nlm.make_sample(rng, tok, keys, words, filler, L, len(EVAL_KINDS), 1, asked_depth=depth,
                                     kinds=EVAL_KINDS)
    return ids, ans, info


@torch.no_grad()
def accuracy(model, tok, keys, words, filler, L, n, seed, bs=4):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append(eval_sample(rng, tok, keys, words, filler, L, DEPTHS[i % len(DEPTHS)]) + (DEPTHS[i % len(DEPTHS)],))
    per_depth = {d: [0, 0] for d in DEPTHS}
    val_only = 0
    lens = []
    for i in range(0, n, bs):
        chunk = rows[i:i + bs]
        T = max(len(r[0]) for r in chunk)
        ids = torch.full((len(chunk), T), nlm.EOS, dtype=torch.long)
        for j, r in enumerate(chunk):
            ids[j, :len(r[0])] = torch.tensor(r[0])
        hid = model.hidden(ids[:, :-1])
        for j, (rid, ans, info, d) in enumerate(chunk):
            pos = [p - 1 for p, a in enumerate(ans) if a]         # positions predicting answer tokens
            pred = model.lm_head(hid[j, pos]).argmax(-1).tolist()
            ok = all(pred[i] == rid[p + 1] for i, p in enumerate(pos))
            ok_val = all(pred[i] == rid[p + 1] for i, p in enumerate(pos[:-1]))  # value tokens without the </s>
            per_depth[d][0] += int(ok)
            per_depth[d][1] += 1
            val_only += int(ok_val)
            lens.append(len(rid))
    tot = sum(a for a, _ in per_depth.values())
    return {"length": L, "n": n, "exact_match": tot / n, "value_match_ignoring_eos": val_only / n,
            "mean_tokens": float(np.mean(lens)), "max_tokens": int(max(lens)),
            "per_depth": {"%d%%" % round(d * 100): round(a / b, 4) for d, (a, b) in per_depth.items()}}


@torch.no_grad()
def greedy(model, ids, n):
    ids = list(ids)
    out, margins = [], []
    for _ in range(n):
        logits = model.lm_head(model.hidden(torch.tensor([ids]))[0, -1])
        top = torch.topk(logits, 2)
        nxt = int(top.indices[0])
        margins.append(float(top.values[0] - top.values[1]))
        out.append(nxt)
        ids.append(nxt)
    return out, margins


def golden(model, tok, keys, words, filler, seed, n_new=16):
    rng = random.Random(seed)
    recs = []
    specs = ([(160, i / 7) for i in range(8)] + [(400, i / 7) for i in range(8)] +
             [(1024, i / 5) for i in range(6)] + [(2048, 0.25), (2048, 0.75)])
    for L, d in specs:
        ids, ans, info = eval_sample(rng, tok, keys, words, filler, L, d)
        msgs = info["messages"][:1]
        text = nlm.render(msgs, True)
        pids = nlm.prompt_ids(tok, msgs)
        gen, margins = greedy(model, pids, n_new)
        cut = gen.index(nlm.EOS) if nlm.EOS in gen else len(gen)
        expected = info["messages"][1]["content"]
        recs.append({
            "target_length": L, "depth": d,
            "messages": msgs,
            "prompt_text": text,
            "prompt_note": "prompt_ids = [BOS] + encode(prompt_text); prompt_text = chat_template(messages, add_generation_prompt=True)",
            "prompt_ids": pids,
            "expected_answer": expected,
            "greedy_ids": gen,
            "greedy_text": tok.decode(gen),
            "greedy_answer": tok.decode(gen[:cut]).strip(),
            "answer_correct": tok.decode(gen[:cut]).strip() == expected and cut < len(gen),
            "min_top1_top2_logit_margin": round(min(margins), 5),
        })
    return recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=nlm.MODEL_DIR)
    ap.add_argument("--n", type=int, default=220)
    ap.add_argument("--lengths", type=int, nargs="+", default=[1024, 2048])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-golden", action="store_true")
    ap.add_argument("--golden-only", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok, keys, words = nlm.get_tokenizer()
    nt = nlm.Filler(tok, nlm.corpus("nt"))
    model, cfg = load_exported(args.dir)
    res = {"params": nlm.n_params(model), "filler": "KJV New Testament (held out)", "results": []}
    for L in ([] if args.golden_only else args.lengths):
        t = time.time()
        r = accuracy(model, tok, keys, words, nt, L, args.n, seed=1000 + L)
        r["seconds"] = round(time.time() - t, 1)
        print(json.dumps(r), flush=True)
        res["results"].append(r)
    if not args.golden_only:
        with open(os.path.join(args.dir, "eval.json"), "w") as f:
            json.dump(res, f, indent=2)
    if not args.no_golden:
        recs = golden(model, tok, keys, words, nt, seed=4242)
        with open(os.path.join(args.dir, "golden.json"), "w") as f:
            json.dump({"description": "PyTorch (float32) greedy continuations of needle-lm; prompt_ids include the leading BOS. "
                                      "greedy_ids are the next 16 tokens after the prompt (generation continues past </s>=2).",
                       "bos_id": nlm.BOS, "eos_id": nlm.EOS, "new_tokens": 16, "records": recs}, f, indent=1)
        print("golden: %d records, %d answered correctly" % (len(recs), sum(r["answer_correct"] for r in recs)))


if __name__ == "__main__":
    main()
