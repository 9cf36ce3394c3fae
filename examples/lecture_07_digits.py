"""Section 7: scikit-learn's digits with a 64-128-64-10 network (needs scikit-learn)."""
import nncore.lecture as L

r = L.digits()
print(f"test accuracy {100 * r['test_acc']:.1f} %")
print("confusion matrix (rows: true, columns: predicted):\n", r["confusion"])
