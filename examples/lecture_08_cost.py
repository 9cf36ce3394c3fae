"""Section 8: multiply-adds per forward and backward pass, and measured time per sample."""
import nncore as nc
import nncore.lecture as L

model = nc.Sequential(nc.Dense(64, 128), nc.ReLU(), nc.Dense(128, 64), nc.ReLU(),
                      nc.Dense(64, 10), nc.Softmax())
c = L.count_macs(model)
print(f"weights {c['weights']}, forward MACs {c['forward']}, backward MACs {c['backward']}")
t = L.measure(model)
print(f"forward {1e6 * t['forward_s']:.2f} µs/sample, training {1e6 * t['train_s']:.2f} µs/sample")
