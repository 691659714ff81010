"""The ``gradwork`` command line (or ``python -m gradwork``).

Commands:
    gradwork demo                              train a tiny MLP with autograd alone
    gradwork lab list                          the course labs
    gradwork lab run NAME [--quick] [--out DIR] [--FIELD VALUE ...]
                                               run a lab and write its report (default
                                               reports/NAME); every field of the lab's
                                               Config is a flag: gradwork lab run NAME --help
"""

from __future__ import annotations

import argparse
import sys


def _lab_list() -> None:
    from gradwork.labs import registry

    width = max(len(name) for name in registry.names())
    for name in registry.names():
        print(f"{name:<{width}}  {registry.describe(name)}")


def _lab_run(name: str, options: list[str]) -> None:
    from gradwork.labs import registry

    try:
        lab = registry.load(name)
    except KeyError as error:
        sys.exit(f"gradwork lab run: {error.args[0]}")
    parser = argparse.ArgumentParser(
        prog=f"gradwork lab run {name}",
        description=registry.describe(name),
    )
    parser.add_argument(
        "--out", default=f"reports/{name}", help=f"the report folder (default: reports/{name})"
    )
    registry.add_config_arguments(parser, lab.Config)
    arguments = parser.parse_args(options)
    try:
        config = registry.config_from_arguments(lab.Config, arguments)
    except ValueError as error:
        parser.error(str(error))
    result = lab.run(config)
    written = lab.report(result, arguments.out)
    print(result.summary())
    print(f"\nreport written to {arguments.out}/: {', '.join(written)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="gradwork", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="train a tiny MLP with the autograd engine and print its loss")
    lab = commands.add_parser("lab", help="list or run the course labs")
    lab_commands = lab.add_subparsers(dest="lab_command", required=True)
    lab_commands.add_parser("list", help="list the labs")
    run = lab_commands.add_parser(
        "run",
        help="run a lab and write its report",
        usage="gradwork lab run NAME [--quick] [--out DIR] [--FIELD VALUE ...]",
        add_help=False,  # --help after NAME shows the lab's own flags
    )
    run.add_argument("name", help="the lab (see: gradwork lab list)")
    run.add_argument("options", nargs=argparse.REMAINDER, help="the lab's flags")
    arguments = parser.parse_args(argv)
    if arguments.command == "demo":
        from gradwork import demo

        demo.main()
    elif arguments.lab_command == "list":
        _lab_list()
    else:
        _lab_run(arguments.name, arguments.options)


if __name__ == "__main__":
    main()
