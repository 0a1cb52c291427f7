"""python-socketio 5.7 against micro-workers (2 workers behind MicroSocket's sticky primary).

On each worker: a member that starts with HTTP long-polling and upgrades to websocket, a member
that only polls, and a visitor who is not a member, each connected to '/' and '/blog'. A member
on each worker publishes an article update; the announcements of both workers, which come after
every update on each connection, are the barrier after which updates are counted.
Prints one REPORT line; examples/micro-workers/test/python.test.ts asserts it.
"""
from socketio_recorder import RecordedClient, run

NAMESPACES = ('/', '/blog')
# (kind, engine.io transports, auth)
KINDS = {
    'upgraded': (None, {'member': True}),
    'polling': (['polling'], {'member': True}),
    'visitor': (None, {}),
}


def scenario(url, clients):
    # The primary spreads new clients over workers 1 and 2: connect until each has one of each kind.
    slots = {}
    for attempt in range(24):
        missing = [kind for kind in KINDS for worker in (1, 2) if (worker, kind) not in slots]
        if not missing:
            break
        kind = missing[0]
        transports, auth = KINDS[kind]
        recorded = RecordedClient(f'{kind}-{attempt}', NAMESPACES)
        clients.append(recorded)
        recorded.connect(url, auth=auth, transports=transports)
        worker = recorded.nth('/', 'hello')[0]['worker']
        recorded.nth('/blog', 'hello')
        if (worker, kind) in slots:
            recorded.disconnect()
            clients.remove(recorded)
        else:
            recorded.name = f'{kind} on worker {worker}'
            slots[(worker, kind)] = recorded
    else:
        raise RuntimeError(f'24 clients never covered both workers: {sorted(slots)}')
    first, second = 1, 2

    acks = {
        # the websocket member of one worker and the polling member of the other publish
        'a1': slots[(first, 'upgraded')].client.call('ArticleUpdated', 'a1', namespace='/blog', timeout=20),
        'b1': slots[(second, 'polling')].client.call('ArticleUpdated', 'b1', namespace='/blog', timeout=20),
        'bad id': slots[(second, 'polling')].client.call('ArticleUpdated', 42, namespace='/blog', timeout=20),
    }
    for worker in (first, second):
        acks[f'announce from {worker}'] = slots[(worker, 'visitor')].client.call(
            'announce', f'barrier {worker}', timeout=20)
    for recorded in slots.values():
        recorded.nth('/', 'announcement', 2)

    return {
        'acks': acks,
        'clients': {
            recorded.name: {
                'worker': worker,
                'sticky_worker': recorded.sticky_worker(),
                'transport': recorded.client.transport(),
                'events': recorded.events,
            }
            for (worker, _), recorded in sorted(slots.items())
        },
    }


run(scenario)
