"""`make bench`: run every benchmark, or those named: ``python -m benchmarks fanout``."""

import importlib
import sys

BENCHMARKS = ("fanout", "list_delivery", "webhooks", "hostile_keys")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== benchmarks/{name}.py", flush=True)
        status = module.main([])
        if status:
            return status
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
