"""`python -m nncore` / `nncore`: the lecture walkthrough (see nncore.lecture);
`nncore playground`: the live training page (see nncore.playground);
`--version` and `--config` (what this nncore was built with) for bug reports."""
from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from ._version import __version__


def main(argv: Optional[Sequence[str]] = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["playground"]:  # `nncore playground`: the live page (nncore.playground)
        from .playground import main as playground
        return playground(args_list[1:])
    from .lecture.walkthrough import SECTIONS, resolve_section, run_all
    names = ", ".join(f"{k} ({n})" for k, (n, _, _) in SECTIONS.items())
    p = argparse.ArgumentParser(
        prog="nncore",
        description="Run the lecture on neural networks and backpropagation end to end: "
                    "print a report and write pictures (PNG) into an output folder.",
        epilog="`nncore playground` starts the live training page instead (--help there).")
    p.add_argument("--out", default="nncore-out", metavar="DIR",
                   help="output folder for pictures and report.txt (default: ./nncore-out)")
    p.add_argument("--quick", action="store_true", help="seconds-long smoke run")
    p.add_argument("--only", metavar="NAME", help=f"run one section: {names}")
    p.add_argument("--no-plots", action="store_true", help="skip the pictures")
    p.add_argument("--threads", type=int, default=1,
                   help="threads for the C++ core (default 1: the networks are small)")
    p.add_argument("--list", action="store_true", help="list the sections and exit")
    p.add_argument("--lang", choices=("en", "de"), default="en",
                   help="language of the section headings and sub-headlines: en, or de "
                        "as the slides say them (default en)")
    p.add_argument("--version", action="version", version=f"nncore {__version__}")
    p.add_argument("--config", action="store_true",
                   help="print the build (compiler, OpenMP, SIMD paths, threads) and exit")
    args = p.parse_args(argv)
    if args.config:
        from . import show_config
        show_config()
        return 0
    if args.list:
        from .lecture.slides import SLIDES
        for k, (n, _, title) in SECTIONS.items():
            print(f"{f'{n}.':<4}{k:<18} {SLIDES[k][0] if args.lang == 'de' else title}")
        return 0
    if args.only is not None:
        try:
            resolve_section(args.only)
        except ValueError as e:
            p.error(str(e))
    if args.threads < 1:
        p.error("--threads must be >= 1")
    run_all(out=args.out, quick=args.quick, only=args.only, plots=not args.no_plots,
            threads=args.threads, lang=args.lang)
    return 0


if __name__ == "__main__":
    sys.exit(main())
