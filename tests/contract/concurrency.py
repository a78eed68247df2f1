"""Running the same work in several threads at once, as concurrent writers do."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_writers(write: Callable[[int], None], count: int = 4) -> list[BaseException]:
    """`write(writer)` for writer 0..count-1 in threads at once; what each one raised."""
    failures: list[BaseException] = []

    def guarded(writer: int) -> None:
        try:
            write(writer)
        except BaseException as error:  # returned to the test, which asserts there is none
            failures.append(error)

    threads = [threading.Thread(target=guarded, args=(writer,)) for writer in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures
