"""Export a checkpoint to a Jlama-loadable folder (models/needle-lm/ by default) and write the NT haystack.

  python3 train/export.py [--ckpt train/checkpoints/final.pt] [--out models/needle-lm] [--no-haystack]
"""
import argparse
import json
import os
import struct

import numpy as np
import torch

import nlm


def write_safetensors(path, tensors):
    header = {}
    off = 0
    blobs = []
    for name, t in tensors:
        a = np.ascontiguousarray(t.detach().cpu().float().numpy()).astype("<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def export_model(model, cfg, tok, keys, words, out, chat_template=nlm.CHAT_TEMPLATE):
    os.makedirs(out, exist_ok=True)
    sd = model.state_dict()
    tensors = [("model.embed_tokens.weight", sd["embed_tokens.weight"])]
    for i in range(cfg.layers):
        p = "layers.%d." % i
        for n in ("q_proj", "k_proj", "v_proj", "o_proj"):
            tensors.append(("model.layers.%d.self_attn.%s.weight" % (i, n), sd[p + n + ".weight"]))
        for n in ("gate_proj", "up_proj", "down_proj"):
            tensors.append(("model.layers.%d.mlp.%s.weight" % (i, n), sd[p + n + ".weight"]))
        tensors.append(("model.layers.%d.input_layernorm.weight" % i, sd[p + "input_layernorm.weight"]))
        tensors.append(("model.layers.%d.post_attention_layernorm.weight" % i, sd[p + "post_attention_layernorm.weight"]))
    tensors.append(("model.norm.weight", sd["norm.weight"]))
    tensors.append(("lm_head.weight", sd["lm_head.weight"]))
    write_safetensors(os.path.join(out, "model.safetensors"), tensors)
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": cfg.dim,
        "intermediate_size": cfg.ffn,
        "num_attention_heads": cfg.heads,
        "num_key_value_heads": cfg.kv_heads,
        "num_hidden_layers": cfg.layers,
        "head_dim": cfg.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": 4096,
        "rms_norm_eps": cfg.eps,
        "rope_theta": cfg.theta,
        "vocab_size": cfg.vocab,
        "bos_token_id": nlm.BOS,
        "eos_token_id": nlm.EOS,
        "pad_token_id": nlm.EOS,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "attention_bias": False,
        "tested_context_length": 2048,
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump(tok.to_json(), f, ensure_ascii=False)
    tc = {
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "</s>",
        "add_bos_token": True, "add_eos_token": False, "legacy": False,
        "model_max_length": 4096, "tokenizer_class": "LlamaTokenizer",
        "chat_template": chat_template,
    }
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(tc, f, indent=2)
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": nlm.BOS, "eos_token_id": nlm.EOS, "do_sample": False}, f, indent=2)
    with open(os.path.join(out, "keys.txt"), "w") as f:
        f.write("\n".join(keys) + "\n")
    with open(os.path.join(out, "words.txt"), "w") as f:
        f.write("\n".join(words) + "\n")


def write_haystack(out, n_chars=300_000):
    nt = nlm.corpus("nt")
    cut = nt[:n_chars]
    cut = cut[:cut.rfind(". ") + 1]
    with open(os.path.join(out, "haystack-nt.txt"), "w") as f:
        f.write(cut + "\n")


def load(ckpt):
    ck = torch.load(ckpt)
    cfg = nlm.Cfg(1)
    cfg.__dict__.update(ck["cfg"])
    model = nlm.LM(cfg)
    model.load_state_dict(ck["model"])
    model.eval()
    return model, cfg, ck


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(nlm.HERE, "checkpoints", "final.pt"))
    ap.add_argument("--out", default=nlm.MODEL_DIR)
    ap.add_argument("--random", action="store_true", help="export an untrained model (tooling check)")
    ap.add_argument("--no-haystack", action="store_true", help="skip haystack-nt.txt (a sibling model links needle-lm's)")
    args = ap.parse_args()
    tok, keys, words = nlm.get_tokenizer()
    if args.random:
        torch.manual_seed(0)
        cfg = nlm.Cfg(len(tok.vocab))
        model = nlm.LM(cfg)
    else:
        model, cfg, _ = load(args.ckpt)
    export_model(model, cfg, tok, keys, words, args.out)
    if not args.no_haystack:
        write_haystack(args.out)
    print("exported to", args.out)


if __name__ == "__main__":
    main()
