#!/usr/bin/python3
"""Trains the plate character classifier and writes it in the recogniser's format.

    train.py --train work/train.npz [MORE.npz...] --test work/test.npz --out data/ocr/chars.cnn
             [--epochs 10] [--seed 1] [--threads 1] [--repeat-last K] [--lr 3e-3]
             [--init RUN.cnn.pt | --init-cnn RUN.cnn]

The net (must match app/recognize/classify.c): three blocks of 3x3 convolution (padding 1),
ReLU and 2x2 max pooling (channels C1, C2, C3), then a dense layer of HIDDEN units with ReLU,
then a dense layer with one output per class. Batch normalisation is used in training and
folded into the convolutions on export. Input: a PATCH_W x PATCH_H patch, value
(255 - pixel) / 255, so ink is 1.

File format (little-endian), read by classify_load():
    "ALPRCNN1"; u32 width, height, classes, layers; classes bytes of labels ('?' = not a
    character); then per layer: u32 kind (1 conv3x3+ReLU+maxpool2, 2 dense+ReLU, 3 dense),
    u32 inputs, u32 outputs, float32 weights (conv [out][in][3][3], dense [out][in] over the
    input flattened channel, row, column), float32 biases [out].
"""
import argparse
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

C1, C2, C3, HIDDEN = 12, 24, 48, 128
LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789?"


class Net(nn.Module):
    def __init__(self, w, h, ncls):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(1, C1, 3, padding=1), nn.BatchNorm2d(C1)
        self.c2, self.b2 = nn.Conv2d(C1, C2, 3, padding=1), nn.BatchNorm2d(C2)
        self.c3, self.b3 = nn.Conv2d(C2, C3, 3, padding=1), nn.BatchNorm2d(C3)
        self.flat = C3 * (h // 8) * (w // 8)
        self.f1 = nn.Linear(self.flat, HIDDEN)
        self.f2 = nn.Linear(HIDDEN, ncls)
        self.drop = nn.Dropout(0.3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.b1(self.c1(x))), 2)
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        x = F.max_pool2d(F.relu(self.b3(self.c3(x))), 2)
        x = self.drop(torch.flatten(x, 1))
        return self.f2(self.drop(F.relu(self.f1(x))))


def load(path):
    d = np.load(path)
    x = torch.from_numpy((255.0 - d["x"].astype(np.float32)) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(d["y"])


def fold(conv, bn):
    """Conv followed by batch norm (eval mode) as one conv: weights, biases."""
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    w = conv.weight * s.reshape(-1, 1, 1, 1)
    b = (conv.bias - bn.running_mean) * s + bn.bias
    return w.detach().numpy(), b.detach().numpy()


def export(net, w, h, path):
    with open(path, "wb") as f:
        f.write(b"ALPRCNN1")
        f.write(struct.pack("<4I", w, h, len(LABELS), 5))
        f.write(LABELS.encode())
        for conv, bn in ((net.c1, net.b1), (net.c2, net.b2), (net.c3, net.b3)):
            wt, b = fold(conv, bn)
            f.write(struct.pack("<3I", 1, wt.shape[1], wt.shape[0]))
            f.write(wt.astype("<f4").tobytes())
            f.write(b.astype("<f4").tobytes())
        for kind, lin in ((2, net.f1), (3, net.f2)):
            f.write(struct.pack("<3I", kind, lin.in_features, lin.out_features))
            f.write(lin.weight.detach().numpy().astype("<f4").tobytes())
            f.write(lin.bias.detach().numpy().astype("<f4").tobytes())


def import_cnn(net, path, x):
    """Loads a file written by export() (the committed data/ocr/chars.cnn, whose .pt was not
    kept) into net. Batch normalisation was folded into the convolutions; it is set up so that
    the net computes the same function in eval mode and, near enough, in training mode: the
    running statistics are measured on patches x and the scale and shift undo them."""
    with open(path, "rb") as f:
        buf = f.read()
    assert buf[:8] == b"ALPRCNN1", "not a classifier file"
    w, h, ncls, nlayers = struct.unpack_from("<4I", buf, 8)
    off = 24 + ncls
    assert buf[24:off].decode() == LABELS and nlayers == 5
    layers = [(net.c1, net.b1), (net.c2, net.b2), (net.c3, net.b3), (net.f1, None), (net.f2, None)]
    with torch.no_grad():
        for mod, _ in layers:
            kind, nin, nout = struct.unpack_from("<3I", buf, off)
            off += 12
            nw = mod.weight.numel()
            wt = np.frombuffer(buf, "<f4", nw, off).reshape(mod.weight.shape)
            off += 4 * nw
            b = np.frombuffer(buf, "<f4", nout, off)
            off += 4 * nout
            mod.weight.copy_(torch.from_numpy(wt.copy()))
            mod.bias.copy_(torch.from_numpy(b.copy()))
        assert off == len(buf), "trailing bytes"
        # the statistics of each convolution's output, as batch norm will see them in training
        z = x[:4096]
        for conv, bn in layers[:3]:
            z = conv(z)
            mean, var = z.mean((0, 2, 3)), z.var((0, 2, 3), unbiased=False)
            bn.running_mean.copy_(mean)
            bn.running_var.copy_(var)
            bn.weight.copy_(torch.sqrt(var + bn.eps))
            bn.bias.copy_(mean)
            z = F.max_pool2d(F.relu(z), 2)


def evaluate(net, x, y):
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(x[i:i + 2048]).argmax(1) for i in range(0, len(x), 2048)])
    net.train()
    return (pred == y).float().mean().item(), pred


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", required=True, nargs="+")
    ap.add_argument("--test", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--init", help="start from these weights (a .pt written by an earlier run)")
    ap.add_argument("--init-cnn", help="start from a classifier file (export()'s format)")
    ap.add_argument("--lr", type=float, default=3e-3, help="peak learning rate")
    ap.add_argument("--repeat-last", type=int, default=1,
                    help="use the last --train set this many times per epoch")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    parts = [load(p) for p in a.train]
    for _ in range(a.repeat_last - 1):  # weight the last set (the most realistic) up
        parts.append(parts[-1])
    x = torch.cat([p[0] for p in parts])
    y = torch.cat([p[1] for p in parts])
    xt, yt = load(a.test)
    h, w = x.shape[2], x.shape[3]
    net = Net(w, h, len(LABELS))
    if a.init:
        net.load_state_dict(torch.load(a.init))
    if a.init_cnn:
        import_cnn(net, a.init_cnn, x[torch.randperm(len(x), generator=torch.Generator().manual_seed(0))])
        print(f"--init-cnn {a.init_cnn}: test accuracy {evaluate(net, xt, yt)[0]:.4f}", flush=True)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    steps = a.epochs * ((len(x) + 255) // 256)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps)
    g = torch.Generator().manual_seed(a.seed)
    t0 = time.time()
    for ep in range(a.epochs):
        perm = torch.randperm(len(x), generator=g)
        total = 0.0
        for i in range(0, len(x), 256):
            idx = perm[i:i + 256]
            xb = x[idx]
            # one-pixel shifts: the locator's centre is never exact
            dx, dy = torch.randint(-1, 2, (2,), generator=g).tolist()
            xb = torch.roll(xb, shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(net(xb), y[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        acc, _ = evaluate(net, xt, yt)
        print(f"epoch {ep + 1}: loss {total / len(x):.4f}, test accuracy {acc:.4f}, "
              f"{time.time() - t0:.0f} s", flush=True)
        export(net, w, h, a.out)  # every epoch: a long run can be tried before it ends
        torch.save(net.state_dict(), a.out + ".pt")
    acc, pred = evaluate(net, xt, yt)
    conf = {}
    for t, p in zip(yt.tolist(), pred.tolist()):
        if t != p:
            conf[(LABELS[t], LABELS[p])] = conf.get((LABELS[t], LABELS[p]), 0) + 1
    top = sorted(conf.items(), key=lambda kv: -kv[1])[:15]
    print("most confused (truth->read: count):", ", ".join(f"{t}->{p}: {n}" for (t, p), n in top))
    export(net, w, h, a.out)
    print(f"train.py: test accuracy {acc:.4f} on {len(xt)} patches; wrote {a.out}")


if __name__ == "__main__":
    main()
