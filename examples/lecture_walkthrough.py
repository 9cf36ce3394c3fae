"""The whole walkthrough from Python (same as `python -m nncore --quick --out nncore-out`)."""
import nncore.lecture as L

ctx = L.run_all(out="nncore-out", quick=True)
print(ctx.results["classification"]["nn_test"], ctx.results["digits"])
