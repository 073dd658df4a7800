"""Accuracy check (PyTorch) of the exported agent-lm + golden.json for the Java tests.

  python3 train/evaluate_agent.py [--dir models/agent-lm] [--n 20] [--lengths 512 1024 2048]

Reads the exported model.safetensors and tokenizer.json (so the export itself is tested) and scores greedy replies,
exact match, on held-out New Testament filler with needle facts, per scenario:
  direct     the asked fact is in a document, tools offered: the value, then </s>
  call       the asked fact is not there, tools offered: the lookup call with the asked key, then </s>
  result     the call and the tool's result are in the history: the value, then </s>
  no-tools   the asked fact is not there and no tools: </s> at once
  agent      six questions in one growing conversation (three answered from the documents, three through the tool);
             a conversation counts when every step is right
Writes <dir>/eval.json and <dir>/golden.json.
"""
import argparse
import json
import os
import random
import time

import torch

import construct_agent as ca
import evaluate
import nlm

TOOLS = [ca.TOOL]
NEW_TOKENS = 16


class Facts:
    """Needle facts with values, and documents of about `length` tokens that hold some of them."""

    def __init__(self, tok, keys, words, filler):
        self.tok, self.keys, self.words, self.filler = tok, keys, words, filler

    def draw(self, rng, n):
        out = []
        for k in rng.sample(self.keys, n):
            t = rng.randrange(len(nlm.TEMPLATES))
            out.append((k, t, nlm.make_value(rng, nlm.TEMPLATES[t][2], self.words)))
        return out

    def document(self, rng, facts, length):
        needles = [nlm.TEMPLATES[t][0].format(k=k, v=v) for k, t, v in facts]
        budget = max(0, length - sum(len(self.tok.encode(" " + n)) for n in needles) - 40)
        sents = self.filler.take(rng, budget)
        for n in needles:
            sents.insert(rng.randrange(len(sents) + 1), n)
        return " ".join(sents)


def question(fact):
    k, t, _ = fact
    return nlm.TEMPLATES[t][1].format(k=k)


def call(key):
    return {"role": "assistant", "tool_calls": [{"name": ca.TOOL, "arguments": {"key": key}}]}


class Cache:
    """Incremental decoding for nlm.LM (its forward recomputes every position): each layer's rotated keys and values
    so far, so a greedy reply costs one prefill plus one row per token."""

    def __init__(self, model):
        self.m, self.k, self.v, self.pos = model, [None] * len(model.layers), [None] * len(model.layers), 0

    @torch.no_grad()
    def feed(self, ids):
        m, c, T = self.m, self.m.c, len(ids)
        cos, sin = nlm.rope_cache(c.head_dim, self.pos + T, c.theta)
        cos, sin = cos[self.pos:], sin[self.pos:]
        x = m.embed_tokens(torch.tensor([ids]))
        for li, b in enumerate(m.layers):
            h = b.input_layernorm(x)
            q = b.q_proj(h).view(1, T, c.heads, c.head_dim).transpose(1, 2)
            k = b.k_proj(h).view(1, T, c.kv_heads, c.head_dim).transpose(1, 2)
            v = b.v_proj(h).view(1, T, c.kv_heads, c.head_dim).transpose(1, 2)
            q, k = q * cos + nlm.rot_half(q) * sin, k * cos + nlm.rot_half(k) * sin
            if self.k[li] is not None:
                k, v = torch.cat([self.k[li], k], 2), torch.cat([self.v[li], v], 2)
            self.k[li], self.v[li] = k, v
            rep = c.heads // c.kv_heads
            att = (q @ k.repeat_interleave(rep, 1).transpose(-1, -2)) * c.head_dim ** -0.5
            att = att + torch.full((T, self.pos + T), float("-inf")).triu(self.pos + 1)
            o = (att.softmax(-1) @ v.repeat_interleave(rep, 1)).transpose(1, 2).reshape(1, T, -1)
            x = x + b.o_proj(o)
            h = b.post_attention_layernorm(x)
            x = x + b.down_proj(torch.nn.functional.silu(b.gate_proj(h)) * b.up_proj(h))
        self.pos += T
        return m.lm_head(m.norm(x[:, -1]))[0]


def greedy(model, ids, n=NEW_TOKENS, stop=True):
    cache, out = Cache(model), []
    logits = cache.feed(ids)
    for _ in range(n):
        out.append(int(logits.argmax()))
        if (stop and out[-1] == nlm.EOS) or len(out) == n:
            break
        logits = cache.feed([out[-1]])
    return out


def prompt_ids(tok, messages, tools):
    return [nlm.BOS] + tok.encode(ca.render(messages, tools, True))


def scenario(rng, facts, name, length):
    """(messages, tools, expected reply text) for one single-turn scenario."""
    held = facts.draw(rng, 5)
    asked, doc_facts = (held[0], held) if name == "direct" else (held[0], held[1:])
    doc = facts.document(rng, doc_facts, length)
    messages = [{"role": "user", "content": doc + "\nQuestion: " + question(asked)}]
    if name == "direct":
        return messages, TOOLS, asked[2]
    if name == "call":
        return messages, TOOLS, ca.call_text(asked[0])
    if name == "result":
        return messages + [call(asked[0]), {"role": "tool", "content": asked[2]}], TOOLS, asked[2]
    return messages, [], ""


def run_agent(model, tok, rng, facts, length):
    """Six questions in one conversation; the tool answers from a table of facts the documents lack."""
    held = facts.draw(rng, 9)
    in_docs, by_tool = held[:6], held[6:]
    asked = [in_docs[0], by_tool[0], in_docs[1], by_tool[1], in_docs[2], by_tool[2]]
    table = {k: v for k, _, v in by_tool}
    messages = [{"role": "user", "content": facts.document(rng, in_docs, length) + "\nQuestion: " + question(asked[0])}]
    steps_ok = []
    for i, fact in enumerate(asked):
        if i > 0:
            messages.append({"role": "user", "content": "Question: " + question(fact)})
        reply = tok.decode(greedy(model, prompt_ids(tok, messages, TOOLS))).strip()
        if fact[0] in table:
            ok = reply == ca.call_text(fact[0])
            messages += [call(fact[0]), {"role": "tool", "content": table[fact[0]]}]
            reply = tok.decode(greedy(model, prompt_ids(tok, messages, TOOLS))).strip()
        else:
            ok = True
        ok = ok and reply == fact[2]
        steps_ok.append(ok)
        messages.append({"role": "assistant", "content": reply})
    return all(steps_ok), sum(steps_ok), len(prompt_ids(tok, messages, TOOLS))


def accuracy(model, tok, facts, length, n, seed):
    rng = random.Random(seed)
    res = {"length": length, "n": n}
    for name in ("direct", "call", "result", "no-tools"):
        right = 0
        for _ in range(n):
            messages, tools, expected = scenario(rng, facts, name, length)
            gen = greedy(model, prompt_ids(tok, messages, tools))
            right += int(gen[-1] == nlm.EOS and tok.decode(gen).strip() == expected)
        res[name] = right / n
    agents = [run_agent(model, tok, rng, facts, length) for _ in range(max(1, n // 4))]
    res["agent_conversations"] = len(agents)
    res["agent"] = sum(a[0] for a in agents) / len(agents)
    res["agent_steps"] = sum(a[1] for a in agents) / (6 * len(agents))
    res["agent_final_tokens"] = max(a[2] for a in agents)
    return res


def golden(model, tok, facts, seed):
    rng = random.Random(seed)
    recs = []
    for length in (160, 400, 1024):
        for name in ("direct", "call", "result", "no-tools"):
            for _ in range(2):
                messages, tools, expected = scenario(rng, facts, name, length)
                ids = prompt_ids(tok, messages, tools)
                gen = greedy(model, ids, stop=False)
                cut = gen.index(nlm.EOS) if nlm.EOS in gen else len(gen)
                recs.append({
                    "scenario": name, "target_length": length, "tools": tools, "messages": messages,
                    "prompt_text": ca.render(messages, tools, True),
                    "prompt_ids": ids,
                    "expected_reply": expected,
                    "greedy_ids": gen,
                    "greedy_reply": tok.decode(gen[:cut]).strip(),
                    "reply_correct": cut < len(gen) and tok.decode(gen[:cut]).strip() == expected,
                })
    return recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default=ca.MODEL_DIR)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--lengths", type=int, nargs="+", default=[512, 1024, 2048])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    tok = nlm.Tokenizer.from_json(os.path.join(args.dir, "tokenizer.json"))
    keys = open(os.path.join(args.dir, "keys.txt")).read().split()
    words = open(os.path.join(args.dir, "words.txt")).read().split()
    with open(os.path.join(ca.NEEDLE_DIR, "haystack-nt.txt")) as f:
        facts = Facts(tok, keys, words, nlm.Filler(tok, f.read()))
    model, _ = evaluate.load_exported(args.dir)
    res = {"params": nlm.n_params(model), "filler": "KJV New Testament (held out)", "results": []}
    for length in args.lengths:
        t = time.time()
        r = accuracy(model, tok, facts, length, args.n, seed=2000 + length)
        r["seconds"] = round(time.time() - t, 1)
        print(json.dumps(r), flush=True)
        res["results"].append(r)
    with open(os.path.join(args.dir, "eval.json"), "w") as f:
        json.dump(res, f, indent=2)
    recs = golden(model, tok, facts, seed=4243)
    with open(os.path.join(args.dir, "golden.json"), "w") as f:
        json.dump({"description": "PyTorch (float32) greedy continuations of agent-lm; prompt_ids include the leading BOS "
                                  "and come from the chat template with the record's tools and messages (a tool call as "
                                  "role assistant with tool_calls, a tool result as role tool with its content). "
                                  "greedy_ids are the next 16 tokens (generation continues past </s>=2).",
                   "bos_id": nlm.BOS, "eos_id": nlm.EOS, "new_tokens": NEW_TOKENS, "records": recs}, f, indent=1)
    print("golden: %d records, %d replies right" % (len(recs), sum(r["reply_correct"] for r in recs)))


if __name__ == "__main__":
    main()
