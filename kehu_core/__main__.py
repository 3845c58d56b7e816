"""The ``kehu`` command (its console script) and ``python -m kehu_core``."""

import gc


def main() -> None:
    # A command is a short process: the cyclic collector is held off while it imports (see
    # kehu_core.cli.hold_collector); only here, so a program importing kehu_core.cli keeps its own.
    gc.disable()
    from . import cli

    cli.hold_collector()
    cli.main()


if __name__ == "__main__":  # not when a worker process of kehu serve imports it (multiprocessing's spawn)
    main()
