#!/usr/bin/env python3
"""The README's Performance table from the JSON lines of one `benchmarks/run.py --json` run.

    python benchmarks/run.py --load --json > run.jsonl
    python benchmarks/to_markdown.py run.jsonl        # the table on stdout

One row per (workload, threads, idle/busy): each library's median, how many times
faster nncore is than NumPy and PyTorch (> 1: nncore faster), nncore's % of the
same-run GEMM peak, and for the forward-gradient workloads the step's cost in
forward passes. Nothing is measured here: the figures are run.py's.
"""
import json
import sys

LIBRARIES = (("nncore", "nncore"), ("numpy", "NumPy (reference)"), ("torch", "PyTorch"),
             ("sklearn", "scikit-learn"))
TIMES = {"us/step", "ms", "us/call"}  # lower is better; everything else is a rate


def fmt(v):
    if v is None:
        return ""
    if v >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:.0f}"


def faster(unit, nncore, other):
    """How many times faster nncore is than `other` (> 1: nncore faster)."""
    if nncore is None or other is None or nncore <= 0 or other <= 0:
        return None
    return other / nncore if unit in TIMES else nncore / other


def table(records):
    rows, order = {}, []
    for r in records:
        key = (r["workload"], r["threads"], bool(r.get("busy")))
        if key not in rows:
            rows[key] = {}
            order.append(key)
        rows[key][r["library"]] = r
    head = ["workload", "threads", "machine", "unit"] + [name for _, name in LIBRARIES] + [
        "nncore vs NumPy", "nncore vs PyTorch", "% of GEMM peak", "step / forward pass"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in order:
        libs = rows[key]
        any_rec = next(iter(libs.values()))
        unit = any_rec["unit"]
        value = {lib: libs[lib]["value"] if lib in libs else None for lib, _ in LIBRARIES}
        nn = libs.get("nncore", {})
        ratios = [faster(unit, value["nncore"], value[lib]) for lib in ("numpy", "torch")]
        peak = nn.get("peak_fraction")
        fg = nn.get("step_over_forward")
        cells = [key[0], str(key[1]), "busy" if key[2] else "idle", unit]
        cells += [fmt(value[lib]) for lib, _ in LIBRARIES]
        cells += [f"{x:.2f}×" if x is not None else "" for x in ratios]
        cells += [f"{peak * 100:.0f} %" if peak is not None else "", f"{fg:.2f}" if fg else ""]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit(__doc__)
    with open(argv[0]) as f:
        records = [json.loads(line) for line in f if line.strip().startswith("{")]
    print(table(records))


if __name__ == "__main__":
    main()
