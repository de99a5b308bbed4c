"""Train a small spiking classifier of scikit-learn's 8x8 digits with snnTorch,
export it as NIR, and write what Spikefab's demo and test compare against.

    python train.py OUT_DIR

Writes, beside this script unless OUT_DIR says otherwise:
- digits.nir: the trained network (snnTorch's export: nir 1.0.8's format);
- test.csv: the held-out images, one per row: label, then 64 pixels (0..16);
- float.json: the float model's test accuracy and how the inputs are coded.

The model is the one the chip runs (docs/nir.md): CubaLIF and LIF neurons
that reset to zero on the tick they fire (snnTorch's `reset_mechanism="zero"`
with `reset_delay=False`), no biases. Inputs are rate-coded by a rule that
needs no random numbers, so Rust reproduces them exactly: pixel value p
(0..16) spikes in step t when floor((t + 1) p / 32) > floor(t p / 32), a
regular train at p / 32 spikes a step. The class is the output neuron with
the most spikes over the steps (the first of equals).

Not run by `make test` (torch is large); `make nir-train` runs it in a venv
with the versions pinned in requirements.txt.
"""
import json
import sys
from pathlib import Path

import nir
import numpy as np
import snntorch as snn
import snntorch.utils
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from snntorch import surrogate
from snntorch.export_nir import export_to_nir

STEPS = 40
HIDDEN = 48
SEED = 7
EPOCHS = 30


def encode(images):
    """(N, 64) pixel values 0..16 -> (STEPS, N, 64) spikes."""
    t = np.arange(STEPS)[:, None, None]
    p = images[None, :, :].astype(np.int64)
    return ((t + 1) * p // 32 > t * p // 32).astype(np.float32)


def network():
    """The decays and thresholds are per neuron (fixed, not learnt) so that the
    export gives each layer its size."""
    grad = surrogate.fast_sigmoid(slope=25)
    full = lambda n, x: torch.full((n,), x)
    return torch.nn.Sequential(
        torch.nn.Linear(64, HIDDEN, bias=False),
        snn.Synaptic(alpha=full(HIDDEN, 0.8), beta=full(HIDDEN, 0.9), threshold=full(HIDDEN, 1.0), spike_grad=grad,
                     init_hidden=True, reset_mechanism="zero", reset_delay=False),
        torch.nn.Linear(HIDDEN, 10, bias=False),
        snn.Leaky(beta=full(10, 0.9), threshold=full(10, 1.0), spike_grad=grad, init_hidden=True, output=True,
                  reset_mechanism="zero", reset_delay=False),
    )


def counts(net, spikes):
    """Output spike counts (N, 10) for input spikes (STEPS, N, 64)."""
    snn.utils.reset(net)
    total = 0
    for t in range(spikes.shape[0]):
        out, _ = net(spikes[t])
        total = total + out
    return total


def main():
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    torch.manual_seed(SEED)
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data.astype(np.int64), digits.target, test_size=0.3, random_state=SEED, stratify=digits.target)
    s_train, s_test = torch.from_numpy(encode(x_train)), torch.from_numpy(encode(x_test))
    y_train_t = torch.from_numpy(y_train)
    net = network()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    batch = 64
    for epoch in range(EPOCHS):
        order = torch.randperm(len(y_train))
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            c = counts(net, s_train[:, idx])
            loss = loss_fn(c, y_train_t[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % 10 == 9:
            with torch.no_grad():
                acc = (counts(net, s_test).argmax(1).numpy() == y_test).mean()
            print(f"epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy {acc:.4f}", flush=True)
    with torch.no_grad():
        c = counts(net, s_test).numpy()
    predicted = c.argmax(1)
    accuracy = float((predicted == y_test).mean())
    graph = export_to_nir(net, torch.zeros(1, 64), ignore_dims=[0])
    nir.write(out_dir / "digits.nir", graph)
    rows = np.concatenate([y_test[:, None], x_test], axis=1)
    np.savetxt(out_dir / "test.csv", rows, fmt="%d", delimiter=",")
    summary = json.dumps({
        "accuracy": accuracy,
        "test_samples": int(len(y_test)),
        "steps": STEPS,
        "hidden": HIDDEN,
        "coding": "pixel p (0..16) spikes in step t when floor((t+1) p / 32) > floor(t p / 32)",
        "versions": {"torch": torch.__version__, "snntorch": snn.__version__, "nir": nir.version},
    }, indent=1)
    # The classes on one line.
    (out_dir / "float.json").write_text(summary[:-2] + ',\n "predicted": ' + json.dumps(predicted.tolist()) + "\n}\n")
    print(f"float test accuracy {accuracy:.4f} on {len(y_test)} images; wrote {out_dir}")


if __name__ == "__main__":
    main()
