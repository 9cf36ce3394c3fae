"""Section 4: constant initialisation keeps hidden units identical; random init breaks it."""
import nncore.lecture as L

r = L.symmetry_experiment()
for name in ("constant", "random"):
    d = r[name]
    print(f"{name:<8} spread between hidden units after training: {d['spread'][-1]:.3g}  "
          f"train accuracy {100 * d['train_acc']:.1f} %")
