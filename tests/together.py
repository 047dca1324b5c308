"""Jobs started at the same instant, each on its own thread and database connection.

The race stories (two supervisors closing one ticket, one form sent twenty times at once,
two confirms of one import) all need the same start line: a barrier, then each side's result
or the exception it got, for the test to inspect.
"""

import threading

from django.db import connections


def run_together(*jobs, timeout=120):
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def runner(index, job):
        try:
            barrier.wait()
            results[index] = ("ok", job())
        except Exception as exc:  # noqa: BLE001 - the test inspects what each side got
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
