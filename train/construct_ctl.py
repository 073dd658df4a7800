"""Compile needle-ctl, the control retrieval model: the same tokenizer, prompt format and task as needle-lm, but a
circuit whose observation window attends to every value token it will copy, and whose copying needs no neighbour.

Why a control: needle-lm continues an answer by finding its last answer token in the needle and copying the NEXT
token, so it needs value tokens that the question's attention never looked at. Token-level evictors (SnapKV, H2O)
score rows by that attention, drop those tokens and collapse to the floor, while chunks keep them by accident of
adjacency. needle-ctl removes that handicap:
  - answer token j is fetched by POSITION relative to the key: the row whose own key vector says "I am value
    token j of the needle for KEY" (key code + index, both computed in that row at prefill). Nothing else of the
    needle is read: not the previous value token, not the key token, not the closing '.'.
  - the same head, at the last four prompt rows (inside every observation window), also looks up value tokens 2, 4,
    3 and 1 ('?' -> V2, '\\n' -> V3, 'assistant' -> V4, ':' -> V1), so window attention marks exactly the rows that
    decoding will read - the property SnapKV-style scoring assumes of trained LLMs.
  - after the last value token the lookup finds no row (index 4 or 5 does not exist, and '.' rows are excluded),
    attends to the BOS sink and the output layer's </s> threshold wins.
Nothing is learned; every weight below is written down. Plain Llama (RoPE, RMSNorm, GQA, SwiGLU).

Residual stream (hidden 320):
  C dim 0 constant 1 | F dim 1 BOS flag | T token code: M random content dims + one-hot ':' '.' '?'
  P1..P7 code of the token 1..7 positions back | NK "my needle's key" | QK "the asked key" | O retrieved content
Layers (5 query heads, 1 KV head, head dim 64, rope_theta 1e12):
  0: five RoPE-only heads attending exactly 1..5 tokens back -> P1..P5
  1: one head attending exactly 5 back copies that row's P1, P2 -> P6, P7 (the other heads park on BOS);
     MLP (SwiGLU used as a gate): NK = sum_i [P_i = ':'] * P_{i+2}  (i = 1..4: a value token's key, the word before
     "is:"), QK = sum_m [P_{m-1} = '?'] * P_m  (m = 1..7: the asked key, m tokens back; P_0 = own token)
  2: lookup head: query = QK (key match) + wanted index (m - 3 for m >= 4, m + 1 for m <= 3); key = NK + index one-hot
     [P_i = ':'] - a large penalty on '.' rows; value = T content -> O. BOS is the no-match sink.
lm_head = alpha * content code on O, plus a constant </s> logit of tau * alpha (wins when O is empty).
"""
import argparse
import json
import math
import os
import time

import torch
import torch.nn.functional as F

import nlm

D, H, KV, HD, LAYERS, THETA = 320, 5, 1, 64, 3, 1e12
M = 26                              # random content dims of a token code
COLON, DOT, QMARK = M, M + 1, M + 2
TD = M + 3                          # code size incl. the one-hot ':' '.' '?'
C, FL, T0 = 0, 1, 2
NP = 7                              # P1..P7


def P(d):
    """Residual offset of the code of the token d positions back (P(0) is the own token code T)."""
    return T0 + d * TD


NK0 = P(NP + 1)
QK0 = NK0 + M
O0 = QK0 + M
assert O0 + M <= D
HALF = HD // 2
NF = 6                              # fast RoPE pairs used by the positional heads
SINK = HALF - 1                     # slowest pair: BOS sink
SLOW = list(range(13, HALF - 1))    # pairs rotating < 0.03 rad over 2k tokens at theta 1e12, head dim 64
CONTENT = SLOW + [p + HALF for p in SLOW]
NK_GROUPS = [(i, P(i) + COLON, P(i + 2)) for i in range(1, 5)]        # (index, flag dim, source)
QK_GROUPS = [(m, P(m - 1) + QMARK, P(m)) for m in range(1, NP + 1)]
GATE_UNITS = M * (len(NK_GROUPS) + len(QK_GROUPS))
FFN = -(-GATE_UNITS // 64) * 64     # Jlama's SIMD kernels need the MLP width in whole vector blocks; the rest is zero


def norm_factor(sq):
    return nlm.rms_factor(sq, D)


def codes(tok, seed):
    full = nlm.random_codes(len(tok.vocab), M, TD, seed)
    for t, flag in ((":", COLON), (".", DOT), ("?", QMARK)):
        full[tok.vocab[t]] = 0
        full[tok.vocab[t], flag] = 1
    for special in (nlm.UNK, nlm.BOS, nlm.EOS):
        full[special] = 0
    return full


def zeros(r, c):
    return torch.zeros(r, c, dtype=torch.float64)


def positional(offsets, sq_in, sources, writes, amp=25.0, repel=500.0, park=100.0):
    """Attention whose head h attends exactly offsets[h] tokens back (RoPE alone); heads beyond offsets park on BOS.
    The shared value row holds the attended row's dims `sources` ((start, width) blocks, laid end to end);
    writes are (head, value lane, destination dim, width) moves into the residual."""
    n, nb, sq = norm_factor(sq_in), norm_factor(2.0), math.sqrt(HD)
    th = 1.0 / (THETA ** (torch.arange(0, HD, 2, dtype=torch.float64) / HD))
    q, k, v, o = zeros(H * HD, D), zeros(KV * HD, D), zeros(KV * HD, D), zeros(D, H * HD)
    k[0:NF, C] = 1 / n
    k[SINK, FL] = 1 / nb
    for h in range(H):
        if h < len(offsets):
            q[h * HD:h * HD + NF, C] = amp * sq * torch.cos(th[:NF] * offsets[h]) / n
            q[h * HD + HALF:h * HD + HALF + NF, C] = -amp * sq * torch.sin(th[:NF] * offsets[h]) / n
            q[h * HD + SINK, C] = -repel * sq / n
        else:
            q[h * HD + SINK, C] = park * sq / n
    lane = 0
    for src, width in sources:
        for i in range(width):
            v[lane + i, src + i] = 1 / n
        lane += width
    assert lane <= HD
    for h, start, dst, width in writes:
        for i in range(width):
            o[dst + i, h * HD + start + i] = 1
    return q, k, v, o


def gate_mlp(sq_in, G=40.0):
    """SwiGLU as a multiplier: unit (group, c) outputs flag * source[c] (flags are exact 0/1 one-hot dims)."""
    n = norm_factor(sq_in)
    gate, up, down = zeros(FFN, D), zeros(FFN, D), zeros(D, FFN)
    scale = 1.0 / (G / 2 * torch.sigmoid(torch.tensor(G / 2, dtype=torch.float64)).item())
    u = 0
    for dest, groups in ((NK0, NK_GROUPS), (QK0, QK_GROUPS)):
        for _, flag, src in groups:
            for c in range(M):
                gate[u, flag] = G / n
                gate[u, C] = -G / 2 / n
                up[u, src + c] = 1 / n
                down[dest + c, u] = scale
                u += 1
    return gate, up, down


def lookup(beta=100.0, gamma=40.0, b0=120.0, penalty=200.0, park=100.0):
    """Layer 2: the value-token lookup (head 0) described in the module docstring; heads 1.. park on BOS."""
    n, nb, sq = norm_factor(10.0), norm_factor(2.0), math.sqrt(HD)
    q, k, v, o = zeros(H * HD, D), zeros(KV * HD, D), zeros(KV * HD, D), zeros(D, H * HD)
    for c in range(M):
        q[CONTENT[c], QK0 + c] = beta * sq / n
        k[CONTENT[c], NK0 + c] = 1 / n
    for i in range(1, 5):
        slot = CONTENT[M + i - 1]
        k[slot, P(i) + COLON] = 1 / n                       # this row is value token i
        q[slot, P(i + 2) + QMARK] = gamma * sq / n          # '?' i+2 back: decoding step i (m = i + 3)
        if i >= 2:
            q[slot, P(i - 2) + QMARK] = gamma * sq / n      # '?' i-2 back: window preview (m = i - 1)
    k[CONTENT[M + 4], T0 + DOT] = 1 / n
    q[CONTENT[M + 4], C] = -penalty * sq / n
    q[SINK, C] = b0 * sq / n
    k[SINK, FL] = 1 / nb
    for h in range(1, H):
        q[h * HD + SINK, C] = park * sq / n
    for c in range(M):
        v[c, T0 + c] = 1 / n
        o[O0 + c, c] = 1
    return q, k, v, o


def build(tok, seed=1, alpha=60.0, tau=0.5):
    cfg = nlm.Cfg(len(tok.vocab), dim=D, layers=LAYERS, heads=H, kv_heads=KV, ffn=FFN, theta=THETA)
    assert cfg.head_dim == HD
    model = nlm.LM(cfg)
    code = codes(tok, seed)
    E = zeros(cfg.vocab, D)
    E[:, C] = 1
    E[:, T0:T0 + TD] = code
    E[nlm.BOS, FL] = 1
    attention = [
        positional([1, 2, 3, 4, 5], 2.0, [(T0, TD)], [(h, 0, P(h + 1), TD) for h in range(5)]),
        positional([5], 7.0, [(P(1), TD), (P(2), TD)], [(0, 0, P(6), TD), (0, TD, P(7), TD)]),
        lookup(),
    ]
    nfin = norm_factor(11.0)
    U = zeros(cfg.vocab, D)
    U[:, O0:O0 + M] = alpha * code[:, :M] / nfin
    U[nlm.EOS, C] = tau * alpha / nfin
    nlm.write_compiled(model, E, attention, U, mlp=lambda layer: gate_mlp(9.0) if layer == 1 else None)
    return model, cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(nlm.HERE, "checkpoints", "ctl.pt"))
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    tok, _, _ = nlm.get_tokenizer()
    t0 = time.time()
    model, cfg = build(tok, seed=args.seed)
    state = {"step": 0, "elapsed": time.time() - t0, "cpu": 0.0, "hist": [],
             "method": "compiled attention circuit and MLP gates; nothing learned"}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    torch.save({"model": model.state_dict(), "cfg": cfg.to_dict(), "state": state}, args.out)
    print("saved", args.out, flush=True)


if __name__ == "__main__":
    main()
