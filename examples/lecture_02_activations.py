"""Section 2: linear layers collapse to one linear map; activation functions and derivatives."""
import nncore.lecture as L

r = L.linear_collapse()
print("w' = W w =", r["w_prime"].round(4), " max |f(x) - x^T w'| =", r["max_abs_diff"])
for name, (a, h, d) in L.activation_curves([-1.0, 0.0, 1.0]).items():
    print(f"{name:<11} h(-1, 0, 1) = {h.round(3)}  h'(-1, 0, 1) = {d.round(3)}")
