"""ABANDONED PATH (kept for reference, see the model card): train needle-lm from scratch with a short-to-long curriculum on synthetic multi-key retrieval over KJV Old Testament filler.

  python3 train/train.py --max-minutes 75            # fresh run (seeded)
  python3 train/train.py --max-minutes 75 --resume   # continue from train/checkpoints/last.pt

Stops by itself after --max-minutes of wall clock (time spent before a resume counts too).
"""
import argparse
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

import nlm

CKPT = os.path.join(nlm.HERE, "checkpoints")

# (max length, batch, needles range, questions range, threshold to advance)
STAGES = [
    (160, 8, (6, 10), (6, 10), 0.90),
    (256, 8, (6, 10), (4, 8), 0.90),
    (512, 4, (4, 8), (4, 6), 0.90),
    (1024, 4, (4, 8), (4, 6), 0.90),
    (2048, 2, (4, 8), (4, 6), 1.01),
]


def batch(rng, tok, keys, words, filler, stage):
    L, B, nn_, nq = STAGES[stage][:4]
    # mostly the current length, sometimes a shorter one (keeps earlier skills)
    if stage > 0 and rng.random() < 0.25:
        s2 = rng.randrange(stage)
        L, B, nn_, nq = STAGES[s2][:4]
    Lr = rng.randint(int(L * 0.6), L)
    rows = []
    for _ in range(B):
        n = rng.randint(*nn_)
        q = min(n, rng.randint(*nq))
        ids, ans, _ = nlm.make_sample(rng, tok, keys, words, filler, Lr, n, q)
        rows.append((ids, ans))
    T = max(len(r[0]) for r in rows)
    ids = torch.full((B, T), nlm.EOS, dtype=torch.long)
    ans = torch.zeros((B, T), dtype=torch.bool)
    valid = torch.zeros((B, T), dtype=torch.bool)
    for i, (a, m) in enumerate(rows):
        ids[i, :len(a)] = torch.tensor(a)
        ans[i, :len(a)] = torch.tensor(m, dtype=torch.bool)
        valid[i, :len(a)] = True
    return ids, ans, valid


def step_loss(model, ids, ans, valid, lm_frac=0.0625, lm_weight=0.1):
    h = model.hidden(ids[:, :-1])
    tgt = ids[:, 1:]
    am = ans[:, 1:]
    lm = valid[:, 1:] & ~am & (torch.rand(am.shape) < lm_frac)
    ha = h[am]
    logits_a = model.lm_head(ha)
    loss_a = F.cross_entropy(logits_a, tgt[am])
    loss_lm = F.cross_entropy(model.lm_head(h[lm]), tgt[lm]) if lm.any() else torch.zeros(())
    # exact match per question: answer spans are maximal runs of am
    with torch.no_grad():
        ok = (logits_a.argmax(-1) == tgt[am])
        okfull = torch.ones(am.shape, dtype=torch.bool)
        okfull[am] = ok
        # a span ends where am goes 1 -> 0 ; count spans with all ok
        n_q = 0
        n_ok = 0
        amn = am.numpy()
        okn = okfull.numpy()
        for b in range(amn.shape[0]):
            row, rok = amn[b], okn[b]
            j = 0
            T = len(row)
            while j < T:
                if row[j]:
                    k = j
                    while k < T and row[k]:
                        k += 1
                    n_q += 1
                    n_ok += int(rok[j:k].all())
                    j = k
                else:
                    j += 1
    return loss_a + lm_weight * loss_lm, loss_a.item(), loss_lm.item(), n_ok, n_q


def lr_at(frac, step, base, warm=100):
    w = min(1.0, (step + 1) / warm)
    if frac < 0.85:
        return base * w
    return base * w * max(0.05, 1 - (frac - 0.85) / 0.15)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-minutes", type=float, default=75)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--ckpt-minutes", type=float, default=4)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    tok, keys, words = nlm.get_tokenizer()
    filler = nlm.Filler(tok, nlm.corpus("ot"))
    cfg = nlm.Cfg(len(tok.vocab))
    model = nlm.LM(cfg)
    nlm.positional_init(model)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)
    os.makedirs(CKPT, exist_ok=True)
    print("params", nlm.n_params(model), "vocab", cfg.vocab, flush=True)

    if args.bench:
        for st in range(len(STAGES)):
            ids, ans, valid = batch(random.Random(0), tok, keys, words, filler, st)
            t = time.time()
            for _ in range(2):
                loss = step_loss(model, ids, ans, valid)[0]
                opt.zero_grad()
                loss.backward()
                opt.step()
            dt = (time.time() - t) / 2
            print("stage", st, "shape", tuple(ids.shape), "s/step %.2f" % dt, "tok/s %.0f" % (ids.numel() / dt), flush=True)
        return

    state = dict(step=0, stage=0, elapsed=0.0, cpu=0.0, hist=[], best=(-1, -1.0), stage_steps=0)
    last = os.path.join(CKPT, "last.pt")
    if args.resume and os.path.exists(last):
        ck = torch.load(last)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        state = ck["state"]
        rng.setstate(ck["rng"])
        torch.set_rng_state(ck["torch_rng"])
        print("resumed at step", state["step"], "stage", state["stage"], flush=True)
    budget = args.max_minutes * 60
    t0 = time.time() - state["elapsed"]
    c0 = time.process_time() - state["cpu"]
    last_ck = time.time()
    window = []
    log = open(os.path.join(CKPT, "log.jsonl"), "a")

    def save(path):
        state["elapsed"] = time.time() - t0
        state["cpu"] = time.process_time() - c0
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state, "rng": rng.getstate(),
                    "torch_rng": torch.get_rng_state(), "cfg": cfg.to_dict()}, path + ".tmp")
        os.replace(path + ".tmp", path)

    while True:
        el = time.time() - t0
        frac = el / budget
        if frac >= 1.0:
            break
        # forced schedule: make sure long contexts are reached
        forced = 0
        if frac > 0.55:
            forced = 3
        if frac > 0.70:
            forced = 4
        if state["stage"] < forced:
            print("forcing stage", forced, flush=True)
            state["stage"] = forced
            window = []
        st = state["stage"]
        lr = lr_at(frac, state["step"], args.lr)
        for g in opt.param_groups:
            g["lr"] = lr
        ids, ans, valid = batch(rng, tok, keys, words, filler, st)
        loss, la, llm, nok, nq = step_loss(model, ids, ans, valid)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        if ids.shape[1] > STAGES[st][0] * 0.55 or st == 0:
            window.append((nok, nq))
        window = window[-40:]
        acc = sum(a for a, _ in window) / max(1, sum(b for _, b in window))
        if state["step"] % 10 == 0:
            rec = dict(step=state["step"], t=round(el, 1), cpu=round(time.process_time() - c0, 1), stage=st,
                       T=ids.shape[1], lr=lr, loss_ans=round(la, 4), loss_lm=round(llm, 4), em=round(acc, 4))
            state["hist"].append(rec)
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(rec, flush=True)
        if len(window) >= 30 and acc >= STAGES[st][4] and st < len(STAGES) - 1:
            print("advancing to stage", st + 1, "at step", state["step"], flush=True)
            state["stage"] = st + 1
            window = []
        if len(window) >= 30 and (st, acc) > tuple(state["best"]):
            state["best"] = (st, acc)
            save(os.path.join(CKPT, "best.pt"))
        if time.time() - last_ck > args.ckpt_minutes * 60:
            save(last)
            last_ck = time.time()
    save(last)
    save(os.path.join(CKPT, "final.pt"))
    print("done", state["step"], "steps", "wall", round(time.time() - t0), "cpu", round(time.process_time() - c0), flush=True)


if __name__ == "__main__":
    main()
