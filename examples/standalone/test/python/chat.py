"""python-socketio 5.7 against the standalone chat (one process, no Micro, token checked in HANDSHAKE).

A wrong token and an unknown namespace are refused; ann (long-polling, then websocket), bob
(long-polling only) and eve (websocket only) chat in a room with acks; eve, outside the room,
gets an error answer and none of its messages. ann's disconnection, announced to everyone after
the conversation, is the barrier after which what each client received is reported.
Prints one REPORT line; examples/standalone/test/python.test.ts asserts it.
"""
import socketio
from socketio_recorder import RecordedClient, run

TOKEN = 't0k3n'


def refused(url, clients, name, namespaces, auth):
    """Connects a client that the server must refuse; returns what its connect_error handlers got."""
    recorded = RecordedClient(name, namespaces)
    clients.append(recorded)
    try:
        recorded.connect(url, auth=auth, wait_timeout=1)
    except socketio.exceptions.ConnectionError as err:
        recorded.wait_for('connect_error', lambda: recorded.connect_errors)
        return {'raised': str(err), 'connect_errors': recorded.connect_errors}
    raise AssertionError(f'{name} was let in')


def scenario(url, clients):
    refusals = {
        'wrong token': refused(url, clients, 'intruder', ['/'], {'token': 'wrong', 'name': 'mallory'}),
        'unknown namespace': refused(url, clients, 'lost', ['/', '/nothing'], {'token': TOKEN}),
    }

    # A listener written for what the server emits, one argument: python-socketio calls it with
    # two (the recovery offset), so it raises TypeError in the client's thread and never runs.
    naive = RecordedClient('naive')
    clients.append(naive)
    naive_welcomes = []
    naive.client.on('welcome', lambda welcome: naive_welcomes.append(welcome))
    naive.connect(url, auth={'token': TOKEN, 'name': 'naive'})
    naive_ack = naive.client.call('join', 'lobby', timeout=20)  # the welcome came before this answer
    one_argument_listener = {'ran': len(naive_welcomes) > 0, 'recorded': naive.events, 'ack': naive_ack}
    naive.disconnect()

    users = {}
    for name, transports in (('ann', None), ('bob', ['polling']), ('eve', ['websocket'])):
        recorded = RecordedClient(name)
        clients.append(recorded)
        recorded.connect(url, auth={'token': TOKEN, 'name': name}, transports=transports)
        recorded.nth('/', 'welcome')
        users[name] = recorded
    ann, bob, eve = users['ann'], users['bob'], users['eve']

    acks = {'ann joins': ann.client.call('join', 'general', timeout=20)}
    acks['bob joins'] = bob.client.call('join', 'general', timeout=20)
    ann.nth('/', 'joined')
    acks['ann says'] = ann.client.call('say', ('general', 'hello bob'), timeout=20)
    bob.nth('/', 'message', 1)
    acks['bob says'] = bob.client.call('say', ('general', 'hi ann'), timeout=20)
    ann.nth('/', 'message', 2)
    acks['eve says outside'] = eve.client.call('say', ('general', 'let me in'), timeout=20)
    acks['eve joins a bad room'] = eve.client.call('join', '../etc', timeout=20)
    acks['bob leaves'] = bob.client.call('leave', 'general', timeout=20)
    ann.nth('/', 'left')

    ann.disconnect()
    for recorded in (bob, eve):
        recorded.nth('/', 'presence')

    return {
        'refusals': refusals,
        'one_argument_listener': one_argument_listener,
        'acks': acks,
        'clients': {
            name: {
                'sid': recorded.sids['/'],
                'transport': recorded.client.transport(),
                'events': recorded.events,
            }
            for name, recorded in users.items()
        },
    }


run(scenario)
