"""Section 5: gradient descent, momentum, RMSprop, Adam and learning-rate decay."""
import nncore.lecture as L

r = L.optimizer_comparison()
for label, final, epochs_to_target, train, test in r["rows"]:
    print(f"{label:<34} final loss {final:.4f}  epochs to loss < 0.05: {epochs_to_target}")
v = L.valley_paths()
for label, losses in v["losses"].items():
    print(f"valley, {label:<42} J after {v['steps']} steps: {losses[-1]:.5f}")
