"""A small cache inside each web process for values whose key already says how fresh they are.

A fragment's key carries the versions of the districts it shows, a scope's key the scope
version: once written, the value under such a key never changes. Keeping the last few
hundred of them in the process saves a Redis round trip per page, which is most of what a
cached page costs; freshness still comes from Redis, which hands out the versions.
"""

import threading
import time
from collections import OrderedDict

MAX_ENTRIES = 512


class LocalCache:
    def __init__(self, max_entries=MAX_ENTRIES):
        self._entries = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            value, expires = entry
            if expires < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def set(self, key, value, timeout):
        with self._lock:
            self._entries[key] = (value, time.monotonic() + timeout)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self):
        with self._lock:
            self._entries.clear()


local = LocalCache()
