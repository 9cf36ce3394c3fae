"""Section 1: the lecture's XOR network by hand, then XOR learned (python examples/lecture_01_xor.py)."""
import nncore.lecture as L

r = L.xor_by_hand()
for key in ("X", "XW", "XW+c", "step(XW+c)", "output"):
    print(key, "=\n", r[key])
learned = L.xor_learned()
print("learned XOR predictions:", learned["predictions"], "hidden representation:\n",
      learned["hidden"].round(3))
