"""needle-lm: corpus, tokenizer, synthetic retrieval data and the PyTorch Llama model.

Everything shared by construct.py, evaluate.py, export.py and card.py lives here so that the
Python encoder used for training is the same code that writes tokenizer.json.
"""
import json
import math
import os
import random
import re
import subprocess

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")            # generated, gitignored
MODEL_DIR = os.path.join(ROOT, "models", "needle-lm")

SP = "\u2581"  # sentencepiece space marker
UNK, BOS, EOS = 0, 1, 2
BYTE0 = 3      # <0x00> .. <0xFF> at ids 3..258

# Pre-tokenizer regex (Jlama "Split" pre-tokenizer; every character is matched by one branch).
SPLIT_RE = r"[ ]?[A-Za-z]+|[ ]?[0-9]+|[ ]?[^ A-Za-z0-9]|[ ]"

# ---------------------------------------------------------------- corpus

def _bible(spec):
    out = subprocess.run(["bible", spec], capture_output=True, text=True, check=True).stdout
    lines = []
    for line in out.split("\n"):
        if not line.strip():
            continue
        if re.match(r"^[1-3]?\s?[A-Z][A-Za-z ]+ \d+$", line.strip()):   # chapter header "Genesis 1"
            continue
        line = re.sub(r"^\s*\d+ ", "", line)                             # verse number
        lines.append(line.strip())
    text = " ".join(lines)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"[^\x20-\x7e]", "", text)
    text = re.sub(r"[0-9]", "", text)
    return text.strip()


def corpus(name):
    """name: 'ot' (training filler) or 'nt' (held-out evaluation filler)."""
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, name + ".txt")
    if not os.path.exists(path):
        spec = "Genesis1:1-Malachi4:6" if name == "ot" else "Matthew1:1-Revelation22:21"
        with open(path, "w") as f:
            f.write(_bible(spec))
    with open(path) as f:
        return f.read()


def sentences(text):
    parts = re.split(r"(?<=[.;:?!]) ", text)
    return [p for p in parts if p]

# ---------------------------------------------------------------- tokenizer

def make_keys(n, banned, seed=1234):
    rng = random.Random(seed)
    cons, vow = "bdfgklmnprstvz", "aeiou"
    keys = set()
    while len(keys) < n:
        w = rng.choice(cons) + rng.choice(vow) + rng.choice(cons) + rng.choice(vow) + rng.choice(cons)
        if w not in banned and w.capitalize() not in banned:
            keys.add(w)
    return sorted(keys)


class Tokenizer:
    """BPE tokenizer reproducing Jlama 0.8.4 LlamaTokenizer/BPETokenizer.encode exactly."""

    def __init__(self, vocab, merges, split=SPLIT_RE):
        self.vocab = vocab                    # str -> id (incl. specials and <0xNN>)
        self.inv = {i: s for s, i in vocab.items()}
        self.merges = merges                  # list of (a, b)
        self.rank = {a + " " + b: r for r, (a, b) in enumerate(merges)}
        self.split_pattern = split
        self.split = re.compile(split)
        self.cache = {}
        self.added = {"<unk>": UNK, "<s>": BOS, "</s>": EOS}
        self.added_re = re.compile("|".join(re.escape(k) for k in self.added))

    # ---- build
    @staticmethod
    def build(ot_text, n_words, keys):
        vocab = {"<unk>": UNK, "<s>": BOS, "</s>": EOS}
        for b in range(256):
            vocab["<0x%02X>" % b] = BYTE0 + b
        chars = [SP, "\n"] + [chr(c) for c in range(0x21, 0x7f)]
        for c in chars:
            vocab[c] = len(vocab)
        counts = {}
        for m in re.finditer(SPLIT_RE, ot_text):
            p = m.group().replace(" ", SP)
            if len(p) > 1 and re.search("[A-Za-z]", p):
                counts[p] = counts.get(p, 0) + 1
        words = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                 if w.startswith(SP)][:n_words]
        numbers = [SP + "%03d" % i for i in range(1000)]
        keytoks = [SP + k for k in keys]
        special_words = ["user", "assistant", "Question", "system"]
        words = words + [SP + w for w in ("Question", "What", "special", "magic", "secret", "room")
                         if SP + w not in words]
        merges = []
        seen = set()

        def chain(w):
            cur = w[0]
            for c in w[1:]:
                nxt = cur + c
                if nxt not in seen:
                    seen.add(nxt)
                    merges.append((cur, c))
                    if nxt not in vocab:
                        vocab[nxt] = len(vocab)
                cur = nxt
        # space-prefixed words first (lower ranks), then bare words
        for w in words + numbers + keytoks:
            chain(w)
        for w in special_words:
            chain(w)
        tok = Tokenizer(vocab, merges)
        tok.real_words = words
        return tok

    # ---- encode (mirror of Jlama)
    def _piece(self, piece):
        r = self.cache.get(piece)
        if r is not None:
            return r
        s = piece.replace(" ", SP)  # Replace normalizer
        toks = []
        for ch in s:
            i = self.vocab.get(ch)
            if i is not None:
                toks.append(i)
            else:
                for b in ch.encode("utf-8"):
                    toks.append(BYTE0 + b)
        strs = [self._internal(t) for t in toks]
        while True:
            best, bi = None, -1
            for i in range(len(strs) - 1):
                r_ = self.rank.get(strs[i] + " " + strs[i + 1])
                if r_ is not None and (strs[i] + strs[i + 1]) in self.vocab and (best is None or r_ < best):
                    best, bi = r_, i
            if bi < 0:
                break
            strs[bi:bi + 2] = [strs[bi] + strs[bi + 1]]
            toks[bi:bi + 2] = [self.vocab[strs[bi]]]
        self.cache[piece] = toks
        return toks

    def _internal(self, t):
        if BYTE0 <= t < BYTE0 + 256:
            return chr(t - BYTE0)
        return self.inv[t]

    def encode(self, text):
        out = []
        pos = 0
        pieces = []
        for m in self.added_re.finditer(text):
            if m.start() > pos:
                pieces.append((text[pos:m.start()], False))
            pieces.append((m.group(), True))
            pos = m.end()
        if pos < len(text):
            pieces.append((text[pos:], False))
        for p, added in pieces:
            if added:
                out.append(self.added[p])
                continue
            for m in self.split.finditer(p):
                out.extend(self._piece(m.group()))
        return out

    def decode(self, ids):
        bs = bytearray()
        for t in ids:
            if BYTE0 <= t < BYTE0 + 256:
                bs.append(t - BYTE0)
            elif t in (BOS, EOS):
                continue
            else:
                bs.extend(self.inv.get(t, "<unk>").replace(SP, " ").encode())
        return bs.decode("utf-8", errors="replace").lstrip()

    def to_json(self):
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True} for s, i in self.added.items()],
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Replace", "pattern": {"String": " "}, "content": SP}]},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": self.split_pattern}, "behavior": "Isolated", "invert": False}]},
            "post_processor": None,
            "decoder": {"type": "Sequence", "decoders": [
                {"type": "Replace", "pattern": {"String": SP}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"}]},
            "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": True, "ignore_merges": False,
                      "vocab": self.vocab, "merges": [a + " " + b for a, b in self.merges]},
        }

    @staticmethod
    def from_json(path):
        with open(path) as f:
            j = json.load(f)
        merges = [tuple(m.split(" ", 1)) for m in j["model"]["merges"]]
        split = j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"]
        return Tokenizer(j["model"]["vocab"], merges, split)


def get_tokenizer():
    path = os.path.join(WORK, "tokenizer.json")
    if os.path.exists(path):
        tok = Tokenizer.from_json(path)
        with open(os.path.join(WORK, "keys.json")) as f:
            meta = json.load(f)
        return tok, meta["keys"], meta["words"]
    ot = corpus("ot")
    banned = set(re.findall(r"[A-Za-z]+", ot + " " + corpus("nt")))
    keys = make_keys(400, banned)
    tok = Tokenizer.build(ot, 1500, keys)
    # single-token lowercase filler words usable as "secret word" values
    words = sorted(w[1:] for w in tok.real_words if w[1:].isalpha() and w[1:].islower()
                   and len(w) >= 5 and w[1:] not in keys)
    rng = random.Random(7)
    rng.shuffle(words)
    words = sorted(words[:400])
    os.makedirs(WORK, exist_ok=True)
    with open(path, "w") as f:
        json.dump(tok.to_json(), f, ensure_ascii=False)
    with open(os.path.join(WORK, "keys.json"), "w") as f:
        json.dump({"keys": keys, "words": words}, f)
    return tok, keys, words

# ---------------------------------------------------------------- prompt format

def render(messages, add_generation_prompt):
    """Python twin of the chat_template in tokenizer_config.json."""
    s = ""
    for m in messages:
        s += m["role"] + ": " + m["content"]
        if m["role"] == "assistant":
            s += "</s>"
        s += "\n"
    if add_generation_prompt:
        s += "assistant:"
    return s


CHAT_TEMPLATE = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}"
                 "{{ eos_token if m['role'] == 'assistant' else '' }}\n{% endfor %}"
                 "{% if add_generation_prompt %}assistant:{% endif %}")

TEMPLATES = [
    # (needle, question, value kind)
    ("The special magic number for {k} is: {v}.", "What is the special magic number for {k}?", "num"),
    ("The secret word for {k} is: {v}.", "What is the secret word for {k}?", "word"),
    ("The room number of {k} is: {v}.", "What is the room number of {k}?", "room"),
]


def make_value(rng, kind, words):
    if kind == "num":
        return " ".join("%03d" % rng.randrange(1000) for _ in range(rng.choice((3, 4))))
    if kind == "room":
        return " ".join("%03d" % rng.randrange(1000) for _ in range(2))
    return rng.choice(words)


class Filler:
    def __init__(self, tok, text):
        self.sents = sentences(text)
        self.lens = np.array([len(tok.encode(" " + s)) for s in self.sents])

    def take(self, rng, budget):
        i = rng.randrange(len(self.sents))
        out, n = [], 0
        while True:
            ln = int(self.lens[i])
            if n + ln > budget:
                break
            out.append(self.sents[i])
            n += ln
            i = (i + 1) % len(self.sents)
        return out


def make_sample(rng, tok, keys, words, filler, length, n_needles, n_questions, main_kind_frac=0.7,
                asked_depth=None, kinds=None):
    """Return (ids, answer_mask, lm_mask, info). Sequence <= length tokens, starts with BOS.

    Layout: <s>user: {context}\nQuestion: {q1}\nassistant: {a1}</s>\nuser: Question: {q2}\nassistant: {a2}</s>\n...
    """
    ks = rng.sample(keys, n_needles)
    facts = []
    for ki, k in enumerate(ks):
        t = 0 if rng.random() < main_kind_frac else rng.choice((1, 2))
        if kinds is not None:
            t = kinds[ki]
        facts.append((k, t, make_value(rng, TEMPLATES[t][2], words)))
    needles = [TEMPLATES[t][0].format(k=k, v=v) for k, t, v in facts]
    asked = rng.sample(range(n_needles), min(n_questions, n_needles))
    # prefer asking the main template first
    asked.sort(key=lambda i: facts[i][1] != 0 if rng.random() < 0.8 else 0)
    if kinds is not None:  # evaluation: ask about needle 0 only
        asked = [0]
    qa = [(TEMPLATES[facts[i][1]][1].format(k=facts[i][0]), facts[i][2]) for i in asked]
    fixed = 1 + sum(len(tok.encode(" " + n)) for n in needles) + 4
    fixed += sum(len(tok.encode("\nuser: Question: " + q + "\nassistant: " + a + "</s>\n")) for q, a in qa)
    budget = max(0, length - fixed - 2)
    sents = filler.take(rng, budget) if budget > 0 else []
    # insert needles at random sentence boundaries (depth uniform in [0, 1])
    slots = sorted(rng.randrange(len(sents) + 1) for _ in needles)
    order = list(range(n_needles))
    rng.shuffle(order)
    if asked_depth is not None:  # place the first asked needle at a given depth
        a0 = asked[0]
        others = [i for i in order if i != a0]
        order = others
        pos_a0 = int(round(asked_depth * len(sents)))
    pieces = []
    j = 0
    for si in range(len(sents) + 1):
        if asked_depth is not None and si == pos_a0:
            pieces.append(needles[asked[0]])
        while j < len(slots) and slots[j] == si and j < len(order):
            pieces.append(needles[order[j]])
            j += 1
        if si < len(sents):
            pieces.append(sents[si])
    context = " ".join(pieces)
    msgs = [{"role": "user", "content": context + "\nQuestion: " + qa[0][0]},
            {"role": "assistant", "content": qa[0][1]}]
    for q, a in qa[1:]:
        msgs += [{"role": "user", "content": "Question: " + q}, {"role": "assistant", "content": a}]
    # encode piecewise to find the answer spans
    ids = [BOS]
    ans = [0]
    text_prompt = render(msgs[:1], True)
    seg = tok.encode(text_prompt)
    ids += seg
    ans += [0] * len(seg)
    for mi in range(1, len(msgs), 2):
        a = tok.encode(" " + msgs[mi]["content"]) + [EOS]
        ids += a
        ans += [1] * len(a)
        tail = "\n" + (render(msgs[mi + 1:mi + 2], True) if mi + 1 < len(msgs) else "")
        seg = tok.encode(tail)
        ids += seg
        ans += [0] * len(seg)
    info = {"messages": msgs, "facts": facts, "asked": asked, "qa": qa}
    return ids, ans, info


def prompt_ids(tok, messages_upto_user):
    return [BOS] + tok.encode(render(messages_upto_user, True))

# ---------------------------------------------------------------- compiled circuits

def rms_factor(sq, dim, eps=1e-5):
    """RMSNorm's multiplier for a row of `dim` values with squared norm `sq`: compiled weights divide by it."""
    return 1.0 / math.sqrt(sq / dim + eps)


def random_codes(vocab, m, width, seed):
    """vocab x width float64 token codes: m seeded random unit dims, the other width - m dims zero (for flags)."""
    g = torch.Generator().manual_seed(seed)
    c = torch.randn(vocab, m, generator=g, dtype=torch.float64)
    full = torch.zeros(vocab, width, dtype=torch.float64)
    full[:, :m] = c / c.norm(dim=1, keepdim=True)
    return full

# ---------------------------------------------------------------- model

class Cfg:
    def __init__(self, vocab, dim=128, layers=3, heads=4, kv_heads=2, ffn=384, theta=10000.0, eps=1e-5):
        self.vocab, self.dim, self.layers, self.heads, self.kv_heads = vocab, dim, layers, heads, kv_heads
        self.ffn, self.theta, self.eps = ffn, theta, eps
        self.head_dim = dim // heads

    def to_dict(self):
        return dict(self.__dict__)


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope_cache(head_dim, n, theta):
    # same arithmetic as Jlama's VectorMath.precomputeFreqsCis: float32 freqs and angles, cos/sin in double
    inv = (1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))).float()
    t = torch.arange(n, dtype=torch.float32)
    f = torch.outer(t, inv).double()
    emb = torch.cat([f, f], -1)
    return emb.cos().float(), emb.sin().float()


def rot_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        hd = c.head_dim
        self.q_proj = nn.Linear(c.dim, c.heads * hd, bias=False)
        self.k_proj = nn.Linear(c.dim, c.kv_heads * hd, bias=False)
        self.v_proj = nn.Linear(c.dim, c.kv_heads * hd, bias=False)
        self.o_proj = nn.Linear(c.heads * hd, c.dim, bias=False)
        self.gate_proj = nn.Linear(c.dim, c.ffn, bias=False)
        self.up_proj = nn.Linear(c.dim, c.ffn, bias=False)
        self.down_proj = nn.Linear(c.ffn, c.dim, bias=False)
        self.input_layernorm = RMSNorm(c.dim, c.eps)
        self.post_attention_layernorm = RMSNorm(c.dim, c.eps)

    def forward(self, x, cos, sin, mask):
        c = self.c
        B, T, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, c.heads, c.head_dim).transpose(1, 2)
        k = self.k_proj(h).view(B, T, c.kv_heads, c.head_dim).transpose(1, 2)
        v = self.v_proj(h).view(B, T, c.kv_heads, c.head_dim).transpose(1, 2)
        q = q * cos + rot_half(q) * sin
        k = k * cos + rot_half(k) * sin
        rep = c.heads // c.kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) * (c.head_dim ** -0.5) + mask
        att = att.softmax(-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, c.heads * c.head_dim)
        x = x + self.o_proj(o)
        h = self.post_attention_layernorm(x)
        x = x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))
        return x


class LM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab, c.dim)
        self.layers = nn.ModuleList([Block(c) for _ in range(c.layers)])
        self.norm = RMSNorm(c.dim, c.eps)
        self.lm_head = nn.Linear(c.dim, c.vocab, bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
        for b in self.layers:
            nn.init.normal_(b.o_proj.weight, std=0.02 / (2 * c.layers) ** 0.5)
            nn.init.normal_(b.down_proj.weight, std=0.02 / (2 * c.layers) ** 0.5)
        self._rope = None

    def hidden(self, ids):
        B, T = ids.shape
        if self._rope is None or self._rope[0].shape[0] < T:
            self._rope = rope_cache(self.c.head_dim, max(T, 4096), self.c.theta)
        cos, sin = self._rope[0][:T], self._rope[1][:T]
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = self.embed_tokens(ids)
        for b in self.layers:
            x = b(x, cos, sin, mask)
        return self.norm(x)

    def forward(self, ids):
        return self.lm_head(self.hidden(ids))


def write_compiled(model, embed, attention, unembed, mlp=lambda layer: None):
    """Copies compiled float64 matrices into `model`: the embedding, per layer (q, k, v, o) and the MLP's (gate, up,
    down) from `mlp(layer)` (None: all zero), the unembedding; every norm weight is 1."""
    with torch.no_grad():
        model.embed_tokens.weight.copy_(embed.float())
        for li, (q, k, v, o) in enumerate(attention):
            b = model.layers[li]
            for w, t in ((b.q_proj, q), (b.k_proj, k), (b.v_proj, v), (b.o_proj, o)):
                w.weight.copy_(t.float())
            b.input_layernorm.weight.fill_(1)
            b.post_attention_layernorm.weight.fill_(1)
            weights = mlp(li)
            for w, t in zip((b.gate_proj, b.up_proj, b.down_proj), weights or (None, None, None)):
                if t is None:
                    w.weight.zero_()
                else:
                    w.weight.copy_(t.float())
        model.norm.weight.fill_(1)
        model.lm_head.weight.copy_(unembed.float())


def n_params(m):
    return sum(p.numel() for p in m.parameters())
