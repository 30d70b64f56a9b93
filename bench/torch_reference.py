#!/usr/bin/env python3
"""PyTorch CPU peer of the engine's reference transformer.

Two jobs, both driven by `transferlab bench engine`, and usable by hand:

  time   --batch 64 --steps 10 --warmup 3 --threads 2 [--lora-rank 8]
         times the full training step (forward, backward, AdamW) and prints one JSON line.
  parity DIR
         loads DIR/reference.safetensors written by `transferlab bench engine --dump DIR`, recomputes the
         loss and every parameter gradient in PyTorch and prints one JSON line with the relative errors.

Same architecture as bench/reference-model.ts: pre-LN blocks x + attn(ln1(x)), x + f2(gelu(f1(ln2(x)))),
exact GELU, fused qkv split [q|k|v] with heads contiguous, learned embedding and positions, final
LayerNorm, untied head, mean cross-entropy over all positions. Needs Debian's python3-torch.
"""

import argparse
import json
import math
import statistics
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

REF = dict(vocab=640, d=192, layers=4, heads=6, seq=80)


class LoraLinear(nn.Linear):
    """nn.Linear plus PEFT-style LoRA factors (A uniform, B zeros, scale alpha/r)."""

    def __init__(self, inp, out, rank=0, alpha=16):
        super().__init__(inp, out)
        self.rank = rank
        if rank:
            self.lora_A = nn.Linear(inp, rank, bias=False)
            self.lora_B = nn.Linear(rank, out, bias=False)
            nn.init.zeros_(self.lora_B.weight)
            self.scale = alpha / rank

    def forward(self, x):
        y = super().forward(x)
        if self.rank:
            y = y + self.lora_B(self.lora_A(x)) * self.scale
        return y


class Block(nn.Module):
    def __init__(self, d, heads, rank):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = LoraLinear(d, 3 * d, rank)
        self.o = LoraLinear(d, d, rank)
        self.ln2 = nn.LayerNorm(d)
        self.f1 = LoraLinear(d, 4 * d, rank)
        self.f2 = LoraLinear(4 * d, d, rank)

    def attn(self, x):
        b, s, d = x.shape
        dh = d // self.heads
        q, k, v = self.qkv(x).split(d, dim=-1)
        q, k, v = (t.reshape(b, s, self.heads, dh).transpose(1, 2) for t in (q, k, v))
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh), dim=-1) @ v
        return self.o(att.transpose(1, 2).reshape(b, s, d))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.f2(F.gelu(self.f1(self.ln2(x))))


class Reference(nn.Module):
    def __init__(self, vocab, d, layers, heads, seq, rank=0):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(seq, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, heads, rank) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, ids, targets):
        x = self.emb(ids) + self.pos
        for blk in self.blocks:
            x = blk(x)
        logits = self.head(self.ln(x))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def time_steps(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Reference(**REF, rank=args.lora_rank)
    if args.lora_rank:
        for name, p in model.named_parameters():
            p.requires_grad = "lora_" in name
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad])
    ids = torch.randint(0, REF["vocab"], (args.batch, REF["seq"]))
    targets = torch.randint(0, REF["vocab"], (args.batch, REF["seq"]))
    times = []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(ids, targets)
        loss.backward()
        opt.step()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "lora_rank": args.lora_rank,
        "step_ms_median": med * 1000,
        "tokens_per_s": args.batch * REF["seq"] / med,
    }))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    types = {"F32": torch.float32, "I64": torch.int64, "F64": torch.float64}
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        buf = bytearray(raw[8 + n + b:8 + n + e])
        out[name] = torch.frombuffer(buf, dtype=types[t["dtype"]]).reshape(t["shape"]) if e > b else torch.zeros(t["shape"])
    return out, header.get("__metadata__", {})


def parity(args):
    tensors, meta = read_safetensors(f"{args.dir}/reference.safetensors")
    cfg = json.loads(meta["config"])
    model = Reference(**cfg)
    state = {k: v for k, v in tensors.items() if k in dict(model.named_parameters())}
    missing = set(dict(model.named_parameters())) - set(state)
    if missing:
        sys.exit(f"parity: the dump lacks parameters {sorted(missing)[:5]}")
    model.load_state_dict(state)
    loss = model(tensors["input_ids"], tensors["targets"])
    loss.backward()
    ref_loss = float(tensors["loss"])
    errs = {}
    for name, p in model.named_parameters():
        ours = tensors[f"grad.{name}"]
        errs[name] = float((ours - p.grad).norm() / max(p.grad.norm(), 1e-30))
    worst = max(errs, key=errs.get)
    loss_err = abs(ref_loss - float(loss)) / abs(float(loss))
    print(json.dumps({
        "loss_engine": ref_loss,
        "loss_torch": float(loss),
        "loss_rel_err": loss_err,
        "grad_max_rel_err": errs[worst],
        "grad_worst": worst,
        "params": len(errs),
        "ok": loss_err <= 1e-4 and errs[worst] <= 1e-4,
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("time")
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--steps", type=int, default=10)
    t.add_argument("--warmup", type=int, default=3)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--lora-rank", type=int, default=0)
    p = sub.add_parser("parity")
    p.add_argument("dir")
    args = ap.parse_args()
    time_steps(args) if args.cmd == "time" else parity(args)


if __name__ == "__main__":
    main()
