"""Progress on a terminal (tqdm), silent elsewhere: a command's stages, and a bar over rows."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def stages(label: str, count: int) -> Iterator[Callable[[str], None]]:
    """A bar over a command's stages (reading, judging, writing…) with the time spent, on a terminal
    only: `advance("judging")` closes the stage before and names the one starting."""
    if not sys.stderr.isatty():
        yield lambda name: None
        return
    from tqdm import tqdm

    bar = tqdm(total=count, desc=label, file=sys.stderr, leave=False,
               bar_format="{desc}: {bar:20} {n_fmt}/{total_fmt} {postfix} [{elapsed}]")
    started = False

    def advance(name: str) -> None:
        nonlocal started
        if started:
            bar.update(1)
        started = True
        bar.set_postfix_str(name)

    try:
        yield advance
    finally:
        bar.close()


def progress(total: int, label: str):  # noqa: ANN202 - a tqdm bar, or a no-op off a terminal
    if not sys.stderr.isatty() or total < 5000:
        return lambda n: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit=" rows", file=sys.stderr, leave=False)
    return bar.update
