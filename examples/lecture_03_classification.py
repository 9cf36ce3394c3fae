"""Section 3: the 2-D example — a 41-parameter network vs linear and logistic regression."""
import nncore.lecture as L

r = L.fit_models()
for name, params, train, test in r["rows"]:
    print(f"{name:<24} {params:>3} parameters  train {100 * train:5.1f} %  test {100 * test:5.1f} %")
oc = L.overfitting_curve(widths=(2, 10, 100))
print("width / train acc / test acc:", list(zip(oc["widths"], oc["train_acc"], oc["test_acc"])))
