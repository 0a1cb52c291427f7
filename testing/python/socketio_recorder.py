"""Shared by the python-socketio scenario scripts of the examples (run by vitest, see
`startPython` in the test kit): a python-socketio client that records everything it receives,
deadline polling, and the one JSON report a script prints for its vitest test to assert.

Python-socketio is used exactly as its users do (`socketio.Client`, `connect`, `call`, `on`);
this module only watches.
"""
import json
import sys
import threading
import time

import socketio

# Every wait of a scenario ends by then, so a stuck script fails with what it waited for
# instead of being killed by vitest's timeout with nothing said.
DEFAULT_TIMEOUT = 20.0


class RecordedClient:
    """A `socketio.Client` (no reconnection) that records every event of its namespaces, with
    every argument as it arrived: `[namespace, event, *args]`."""

    def __init__(self, name, namespaces=('/',)):
        self.name = name
        self.namespaces = list(namespaces)
        self.client = socketio.Client(reconnection=False)
        self.events = []
        self.sids = {}
        self.connect_errors = []
        self._changed = threading.Condition()
        for namespace in self.namespaces:
            self.client.on('*', self._recorder(namespace), namespace=namespace)
            self.client.on('connect_error', self._connect_error(namespace), namespace=namespace)

    def _recorder(self, namespace):
        def record(event, *args):
            with self._changed:
                self.events.append([namespace, event, *args])
                self._changed.notify_all()
        return record

    def _connect_error(self, namespace):
        def record(data=None):
            with self._changed:
                self.connect_errors.append([namespace, data])
                self._changed.notify_all()
        return record

    def connect(self, url, wait_timeout=DEFAULT_TIMEOUT, **options):
        """`Client.connect` with this client's namespaces and a wait that a busy machine meets.
        A refused connection raises only after `wait_timeout` seconds without news."""
        self.client.connect(url, namespaces=self.namespaces, wait_timeout=wait_timeout, **options)
        # the socket ids, kept for the report after a disconnection forgets them
        self.sids = {namespace: self.client.get_sid(namespace) for namespace in self.namespaces}
        return self

    def received(self, namespace, event):
        """The argument lists of every `event` received on `namespace`, in order."""
        with self._changed:
            return [e[2:] for e in self.events if e[0] == namespace and e[1] == event]

    def wait_for(self, what, check, timeout=DEFAULT_TIMEOUT):
        """Waits until `check()` is truthy (re-checked on every event); returns its value."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = check()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f'{self.name}: timed out after {timeout} s waiting for {what}; '
                                       f'received {json.dumps(self.events)}')
                self._changed.wait(left)

    def nth(self, namespace, event, n=1, timeout=DEFAULT_TIMEOUT):
        """Waits until `event` arrived `n` times on `namespace`; returns the arguments of the nth."""
        return self.wait_for(f"'{event}' #{n} on {namespace}",
                             lambda: self.received(namespace, event)[n - 1:n], timeout)[0]

    def sticky_worker(self):
        """The cluster worker named in the engine.io session id (`<worker id>.<random>`)."""
        prefix = self.client.eio.sid.split('.')[0]
        return int(prefix) if prefix.isdigit() else None

    def disconnect(self):
        self.client.disconnect()


def report(value):
    """The scenario's result, one line that the vitest test parses."""
    print('REPORT ' + json.dumps(value), flush=True)


def run(scenario):
    """Runs `scenario(url)` with the URL given as the first argument; disconnects what is left."""
    clients = []
    try:
        report(scenario(sys.argv[1], clients))
    finally:
        for recorded in clients:
            recorded.disconnect()
