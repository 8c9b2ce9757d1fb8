"""`python -m bench`: cli → plan → sweep → executor → worker → records → analysis → render."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    from bench.cli import commands, options, run

    argv = sys.argv[1:] if argv is None else argv
    subcommands = {
        "report": (options.report_parser, commands.report),
        "compare": (options.compare_parser, commands.compare),
        "depth": (options.depth_parser, commands.depth),
        "ab": (options.ab_parser, commands.ab),
        "upgrade": (options.upgrade_parser, commands.upgrade),
    }
    if argv[:1] and argv[0] in subcommands:
        parser, command = subcommands[argv[0]]
        return command(parser().parse_args(argv[1:]))
    return run.run(options.build_parser().parse_args(argv), argv)
