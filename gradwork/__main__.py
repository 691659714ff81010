"""The ``gradwork`` command line: ``gradwork demo`` (or ``python -m gradwork demo``)."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="gradwork", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="train a tiny MLP with the autograd engine and print its loss")
    arguments = parser.parse_args(argv)
    if arguments.command == "demo":
        from gradwork import demo

        demo.main()


if __name__ == "__main__":
    main()
