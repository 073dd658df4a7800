"""Compile agent-lm, the embedded tool-calling model: needle-lm's vocabulary and fact format, plus one tool,
lookup(key), called with Qwen2.5-style JSON that Jlama's tool-call parser reads.

Behaviour (greedy), for a prompt that ends with a question "... KEY?" and the generation cue "assistant:":
  - the fact "... KEY is: V1 V2 ... ." is in the context (a document, or an earlier tool result): answer " V1 V2 ..."
    and end the turn (</s> when the copied value reaches its '.').
  - it is not, and the chat template rendered tools: reply {"name": "lookup","arguments":{"key":"KEY"}} and </s>.
  - it is not, and there are no tools: </s> (an empty answer).
The chat template renders a tool result for KEY as "tool: KEY is: RESULT.\\nQuestion: KEY?\\n", so the turn after a
tool call is the first case again. Nothing is learned; every weight below is written down. Plain Llama (RoPE,
RMSNorm, GQA, SwiGLU with a zero MLP).

Tokenizer: needle-lm's, with a pre-tokenizer that keeps runs of punctuation together and new tokens for the pieces of
the call ('{"', 'name', '":', ' "', 'lookup', '","', 'arguments', '":{"', 'key', '":"', '"}}'), the keys without
their leading space (JSON strings have none), 'tools' and 'tool'. Every piece of the call is a distinct token, so the
reply is a chain in which the current token alone names the next one; only the key in '"key":"KEY"' is looked up.

Residual stream (hidden 384):
  C dim 0 constant 1 | F dim 1 BOS flag | T token code: M random content dims + one-hot flags (':' '.' 'assistant'
  'tools', each call piece, "a bare key") | P1..P4 codes of the tokens 1..4 back | O retrieved code |
  KS the asked key at the call's key slot | TA "tools were offered" (scaled by TA_SCALE)
Layers (3 query heads, 1 KV head, head dim 128, rope_theta 1e12):
  0: RoPE-only heads attending exactly 1 and 3 back -> P1, P3; the key-slot head: at a '":"' row it attends exactly
     14 back (the asked key: 10 call tokens after 'assistant:', which follows "KEY ? \\n"), elsewhere BOS -> KS
  1: heads attending exactly 4 and 2 back -> P4, P2; the tools head attends to a 'tools' token if there is one,
     else BOS -> TA
  2: fact lookup (needle-lm's head A), only at the reply's first row ('assistant' ':'): query = P4 (the asked key),
     key = P3 & P1 == ':' (the first value token of "KEY is: V1") -> O; BOS is the no-match sink
  3: continue copying (needle-lm's head B): query = (token, previous token), key = (P1, P2) -> the next value token
lm_head: alpha * code on O (a copied '.' -> </s>); the call chain on T flags; the asked key (bare) on KS; '{"' when
the reply starts, tools were offered and nothing was found; a small constant </s> otherwise.
"""
import argparse
import math
import os
import time

import torch

import export
import nlm

MODEL_DIR = os.path.join(nlm.ROOT, "models", "agent-lm")
NEEDLE_DIR = os.path.join(nlm.ROOT, "models", "needle-lm")
SPLIT_RE = r"[ ]?[A-Za-z]+|[ ]?[0-9]+|[ ]?[^ A-Za-z0-9]+|[ ]"
TOOL = "lookup"
# The reply for a missing fact, split into its tokens; KEY is the bare key.
CALL = ['{"', "name", '":', nlm.SP + '"', TOOL, '","', "arguments", '":{"', "key", '":"', "KEY", '"}}']
KEY_SLOT = CALL.index("KEY")
# Jlama renders with trim_blocks (a newline right after a block tag is dropped), hence "{{ '' }}\n"; it passes a tool
# result as the message content {"content": {"result": RESULT}}. A reply's calls get the ids 000000000, 000000001, ...
# and come before their results, so the result with id j belongs to the call n messages back, where n is the number
# of calls in its reply: the id of the last call (j + 1 messages back) plus one.
CHAT_TEMPLATE = (
    "{% if tools %}tools:{% for t in tools %} {{ t.function.name }}{% endfor %}{{ '' }}\n{% endif %}"
    "{% for m in messages %}"
    "{% if m.tool_calls %}assistant:{% for c in m.tool_calls %}"
    "{\"name\": \"{{ c.function.name }}\",\"arguments\":{\"key\":\"{{ c.function.arguments.key }}\"}}"
    "{% endfor %}{{ eos_token }}\n"
    "{% elif m.role == 'tool' %}{% set j = m.tool_call_id | int %}"
    "{% set key = messages[loop.index0 - (messages[loop.index0 - j - 1].tool_calls[0].id | int) - 1]"
    ".tool_calls[0].function.arguments.key %}"
    "tool: {{ key }} is: {{ m.content.content.result }}.\nQuestion: {{ key }}?\n"
    "{% else %}{{ m.role }}: {{ m.content }}{{ eos_token if m.role == 'assistant' else '' }}\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}")


def render(messages, tools, add_generation_prompt):
    """Python twin of CHAT_TEMPLATE. messages: dicts with role/content, or role 'assistant' with tool_calls
    [{"name", "arguments": {"key"}, "id"}]; a tool result may have a tool_call_id (ids default to 0); tools: names."""
    s = "tools:" + "".join(" " + t for t in tools) + "\n" if tools else ""
    for i, m in enumerate(messages):
        if m.get("tool_calls"):
            s += "assistant:" + "".join('{"name": "%s","arguments":{"key":"%s"}}' % (c["name"], c["arguments"]["key"])
                                        for c in m["tool_calls"]) + "</s>\n"
        elif m["role"] == "tool":
            j = int(m.get("tool_call_id", "0"))
            key = messages[i - int(messages[i - j - 1]["tool_calls"][0].get("id", "0")) - 1]["tool_calls"][0]["arguments"]["key"]
            s += "tool: %s is: %s.\nQuestion: %s?\n" % (key, m["content"], key)
        else:
            s += m["role"] + ": " + m["content"] + ("</s>" if m["role"] == "assistant" else "") + "\n"
    return s + ("assistant:" if add_generation_prompt else "")


def call_text(key):
    return "".join(p.replace(nlm.SP, " ") for p in CALL).replace("KEY", key)


def add_token(tok, piece):
    """Makes `piece` (a pre-tokenizer piece, spaces as the sentencepiece marker) encode to one token: merges the first
    two tokens of its current encoding until one is left. New merges rank last, so pieces added before stay whole."""
    text = piece.replace(nlm.SP, " ")
    while len(ids := tok.encode(text)) > 1:
        a, b = tok._internal(ids[0]), tok._internal(ids[1])
        tok.rank[a + " " + b] = len(tok.merges)
        tok.merges.append((a, b))
        tok.vocab.setdefault(a + b, len(tok.vocab))
        tok.inv[tok.vocab[a + b]] = a + b
        tok.cache.clear()


def tokenizer():
    """needle-lm's tokenizer, its pre-tokenizer replaced, extended by the call pieces, 'tools'/'tool' and bare keys."""
    base = nlm.Tokenizer.from_json(os.path.join(NEEDLE_DIR, "tokenizer.json"))
    with open(os.path.join(NEEDLE_DIR, "keys.txt")) as f:
        keys = f.read().split()
    with open(os.path.join(NEEDLE_DIR, "words.txt")) as f:
        words = f.read().split()
    tok = nlm.Tokenizer(dict(base.vocab), list(base.merges), SPLIT_RE)
    pieces = ['{"', '":', nlm.SP + '"', '","', '":{"', '":"', '"}}', "name", TOOL, "arguments", "key", "tools", "tool"]
    for w in pieces + keys:
        add_token(tok, w)
    return tok, keys, words


D, H, KV, HD, LAYERS, FFN, THETA = 384, 3, 1, 128, 4, 32, 1e12
M = 38                                   # random content dims of a token code
FLAGS = [":", ".", "assistant", "tools"] + [p for p in CALL if p != "KEY"] + ["BAREKEY"]
TD = M + len(FLAGS)
C, FL, T0 = 0, 1, 2
P1, P2, P3, P4 = (T0 + i * TD for i in range(1, 5))
O0 = T0 + 5 * TD
KS0 = O0 + TD
TA = KS0 + M
TA_SCALE = 0.3                           # TA is small so that it barely changes the rows' RMS norm
assert TA < D
HALF = HD // 2
NF = 6                                   # fast RoPE pairs of the positional heads
SINK = HALF - 1                          # slowest pair: BOS sink
CONTENT = list(range(24, HALF - 1)) + list(range(HALF + 24, HD - 1))   # pairs that barely rotate over 4k tokens
KEY_BACK = KEY_SLOT + 4                # '":"' (call token KEY_SLOT - 1) is KEY_SLOT rows after ':', 4 rows after the key


def flag(name):
    return M + FLAGS.index(name)


def norm_factor(sq):
    return nlm.rms_factor(sq, D)


def zeros(r, c):
    return torch.zeros(r, c, dtype=torch.float64)


def codes(tok, keys, seed):
    full = nlm.random_codes(len(tok.vocab), M, TD, seed)
    flagged = {t: t for t in FLAGS if t != "BAREKEY"}
    flagged.update({k: "BAREKEY" for k in keys})
    for t, f in flagged.items():
        full[tok.vocab[t]] = 0
        full[tok.vocab[t], flag(f)] = 1
    for special in (nlm.UNK, nlm.BOS, nlm.EOS):
        full[special] = 0
    return full


def positional_layer(heads, sq_in, amp=25.0, repel=500.0, park=100.0):
    """heads: list of (offset, gate_dim or None, destination, width): the head attends exactly `offset` back (only at
    rows whose gate dim is 1, when given; elsewhere BOS) and writes the first `width` dims of that row's T code to
    `destination`. Heads beyond the list park on BOS. The shared value is the T block."""
    n, nb, sq = norm_factor(sq_in), norm_factor(2.0), math.sqrt(HD)
    th = 1.0 / (THETA ** (torch.arange(0, HD, 2, dtype=torch.float64) / HD))
    q, k, v, o = zeros(H * HD, D), zeros(KV * HD, D), zeros(KV * HD, D), zeros(D, H * HD)
    k[0:NF, C] = 1 / n
    k[SINK, FL] = 1 / nb
    for i in range(TD):
        v[i, T0 + i] = 1 / n
    for h in range(H):
        base = h * HD
        if h >= len(heads):
            q[base + SINK, C] = park * sq / n
            continue
        offset, gate, dest, width = heads[h]
        src = C if gate is None else gate
        q[base:base + NF, src] = amp * sq * torch.cos(th[:NF] * offset) / n
        q[base + HALF:base + HALF + NF, src] = -amp * sq * torch.sin(th[:NF] * offset) / n
        if gate is None:
            q[base + SINK, C] = -repel * sq / n
        else:
            q[base + SINK, C] = park * sq / n
            q[base + SINK, gate] = -(park + repel) * sq / n
        for i in range(width):
            o[dest + i, base + i] = 1
    return q, k, v, o


def add_tools_head(layer, h, sq_in, find=100.0, park=50.0):
    """Head h of a positional layer: attends to a 'tools' token when the prompt has one (else BOS) -> TA."""
    q, k, v, o = layer
    n, sq = norm_factor(sq_in), math.sqrt(HD)
    slot = CONTENT[0]
    k[slot, T0 + flag("tools")] = 1 / n
    q[h * HD:(h + 1) * HD] = 0
    q[h * HD + slot, C] = find * sq / n
    q[h * HD + SINK, C] = park * sq / n
    o[TA, h * HD + flag("tools")] = TA_SCALE


def fetch_into_o(q, k, v, o, n, park):
    """Completes a layer whose head 0 looks a row up (BOS is its no-match sink; the other heads park there): the
    value is the found row's T code, written to O."""
    sq = math.sqrt(HD)
    k[SINK, FL] = 1 / norm_factor(2.0)
    for h in range(1, H):
        q[h * HD + SINK, C] = park * sq / n
    for i in range(TD):
        v[i, T0 + i] = 1 / n
        o[O0 + i, i] = 1
    return q, k, v, o


def lookup_layer(beta=60.0, gamma=40.0, sink=145.0, start=30.0, park=100.0):
    """Layer 2: needle-lm's head A, gated to the reply's first row: its BOS preference drops by `start` for each of
    "this token is ':'" and "the previous one is 'assistant'", so only there can a match (beta + gamma) beat BOS."""
    n, sq = norm_factor(6.0), math.sqrt(HD)
    q, k, v, o = zeros(H * HD, D), zeros(KV * HD, D), zeros(KV * HD, D), zeros(D, H * HD)
    for i in range(M):
        q[CONTENT[i], P4 + i] = beta * sq / n
        k[CONTENT[i], P3 + i] = 1 / n
    q[CONTENT[M], C] = gamma * sq / n
    k[CONTENT[M], P1 + flag(":")] = 1 / n
    q[SINK, C] = sink * sq / n
    q[SINK, T0 + flag(":")] = -start * sq / n
    q[SINK, P1 + flag("assistant")] = -start * sq / n
    return fetch_into_o(q, k, v, o, n, park)


def copy_layer(beta1=50.0, beta2=50.0, sink=82.0, colon=150.0, park=100.0):
    """Layer 3: needle-lm's head B, continue copying: the row after the one whose (token, previous token) equal this
    row's; off at ':' (the reply's first token is head A's)."""
    n, sq = norm_factor(6.0), math.sqrt(HD)
    q, k, v, o = zeros(H * HD, D), zeros(KV * HD, D), zeros(KV * HD, D), zeros(D, H * HD)
    for i in range(M):
        q[CONTENT[i], T0 + i] = beta1 * sq / n
        k[CONTENT[i], P1 + i] = 1 / n
        q[CONTENT[M + i], P1 + i] = beta2 * sq / n
        k[CONTENT[M + i], P2 + i] = 1 / n
    q[CONTENT[2 * M], P1 + flag(":")] = beta2 * sq / n   # previous token ':' (the second answer token)
    k[CONTENT[2 * M], P2 + flag(":")] = 1 / n
    q[SINK, C] = sink * sq / n
    q[SINK, T0 + flag(":")] = colon * sq / n
    return fetch_into_o(q, k, v, o, n, park)


def readout(tok, keys, code, alpha=60.0, chain=2.5, slot=2.0, start=0.5, idle=0.25):
    """lm_head. Scales are multiples of alpha, the logit of a copied token: the call chain (chain) beats any copy,
    the asked key (slot) beats a copied older key, a found fact (1) beats starting a call (start), which beats the
    constant </s> (idle)."""
    nfin = norm_factor(7.0)
    a = alpha / nfin
    U = zeros(len(tok.vocab), D)
    U[:, O0:O0 + M] = a * code[:, :M]
    U[nlm.EOS, O0 + flag(".")] = a
    U[nlm.EOS, C] = idle * a
    for cur, nxt in zip(CALL, CALL[1:] + ["</s>"]):
        if "KEY" in (cur, nxt):
            continue
        U[tok.vocab[nxt], T0 + flag(cur)] = chain * a
    for k in keys:
        U[tok.vocab[k], KS0:KS0 + M] = slot * a * code[tok.vocab[nlm.SP + k], :M]
    U[tok.vocab['"}}'], T0 + flag("BAREKEY")] = chain * a
    first = tok.vocab[CALL[0]]
    U[first, T0 + flag(":")] = start * a
    U[first, P1 + flag("assistant")] = start * a
    U[first, TA] = start * a / TA_SCALE
    U[first, C] = -2 * start * a
    return U


def build(tok, keys, seed=1):
    cfg = nlm.Cfg(len(tok.vocab), dim=D, layers=LAYERS, heads=H, kv_heads=KV, ffn=FFN, theta=THETA)
    assert cfg.head_dim == HD
    model = nlm.LM(cfg)
    code = codes(tok, keys, seed)
    E = zeros(cfg.vocab, D)
    E[:, C] = 1
    E[:, T0:T0 + TD] = code
    E[nlm.BOS, FL] = 1
    layer0 = positional_layer([(1, None, P1, TD), (3, None, P3, TD), (KEY_BACK, T0 + flag('":"'), KS0, M)], 2.0)
    layer1 = positional_layer([(4, None, P4, TD), (2, None, P2, TD)], 4.0)
    add_tools_head(layer1, 2, 4.0)
    attention = [layer0, layer1, lookup_layer(), copy_layer()]
    nlm.write_compiled(model, E, attention, readout(tok, keys, code))
    return model, cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=MODEL_DIR)
    args = ap.parse_args()
    t0 = time.time()
    tok, keys, words = tokenizer()
    model, cfg = build(tok, keys, seed=args.seed)
    export.export_model(model, cfg, tok, keys, words, args.out, chat_template=CHAT_TEMPLATE)
    print("compiled and exported to %s in %.1f s (%d parameters)" % (args.out, time.time() - t0, nlm.n_params(model)))


if __name__ == "__main__":
    main()
