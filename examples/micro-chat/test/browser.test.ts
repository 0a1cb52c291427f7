// The chat page in a real browser: Debian's Chromium driven by playwright-core, against the
// built example running as a process (2 workers behind the sticky primary).
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  describeWithChromium,
  Resources,
  type RunningProcess,
  startProcess,
  testChromiumPath,
  waitFor,
} from '@pestras/micro-socket-testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterEach, expect, it } from 'vitest';

const resources = new Resources();
afterEach(() => resources.stopAll());
const cwd = fileURLToPath(new URL('..', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
// A busy 2-core machine: a page action or a cross-worker delivery gets this long.
const TIMEOUT = 15_000;

async function startChat() {
  const chat = startProcess(resources, process.execPath, ['dist/main.js'], { cwd, env: { PORT: '0' } });
  const [, port] = await chat.waitForOutput(/cluster primary listening on \S+:(\d+)/);
  await chat.waitForOutput(/serving cluster worker \d[\s\S]*serving cluster worker \d/);
  return { chat, url: `http://127.0.0.1:${port}/` };
}

async function launchChromium(): Promise<Browser> {
  // playwright-core starts it with a fresh user-data dir of its own, removed on close
  const browser = await chromium.launch({
    executablePath: testChromiumPath(),
    headless: true,
    // without the background-networking flags, Chromium's own connections are refused here
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return resources.add(browser, (b) => b.close());
}

interface Tab {
  page: Page;
  name: string;
  /** Uncaught errors of the page's script. */
  errors: Error[];
}

/** A tab of its own browser context (its own cookies and storage, like another person's browser). */
async function openTab(browser: Browser, url: string, name: string): Promise<Tab> {
  const context = await browser.newContext({ viewport: { width: 820, height: 560 } });
  resources.add(context, (c) => c.close());
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const errors: Error[] = [];
  page.on('pageerror', (err) => errors.push(err));
  const client = page.waitForResponse((res) => new URL(res.url()).pathname === '/socket.io/socket.io.js');
  await page.goto(url);
  expect((await client).status()).toBe(200);
  return { page, name, errors };
}

/** Logs in through the form; resolves once connected over websocket, with the worker shown. */
async function login(tab: Tab, room = 'general'): Promise<number> {
  await tab.page.fill('#login input[name=user]', tab.name);
  await tab.page.fill('#login input[name=room]', room);
  await tab.page.click('#login button');
  return upgradedWorker(tab);
}

/** The worker in the status line, once the page is connected and upgraded to websocket. */
async function upgradedWorker(tab: Tab): Promise<number> {
  const status = tab.page.locator('#status.online', { hasText: 'websocket' });
  await status.waitFor();
  return Number(/worker (\d+)/.exec((await status.textContent()) ?? '')?.[1]);
}

/** Waits until the member list of the shown room is exactly `names`; returns the worker each is on. */
async function online(tab: Tab, names: string[]): Promise<Record<string, number>> {
  return waitFor(
    `${tab.name}'s page to list ${names.join(', ')} as online`,
    async () => {
      const listed = await tab.page.$$eval('#members li', (items) =>
        items.map((li) => [
          (li as HTMLElement).dataset.name!,
          Number(/worker (\d+)/.exec(li.querySelector('.worker')?.textContent ?? '')?.[1]),
        ]),
      );
      const sorted = listed.map(([name]) => name).sort();
      return JSON.stringify(sorted) === JSON.stringify([...names].sort()) && Object.fromEntries(listed);
    },
    { timeout: TIMEOUT },
  );
}

/** Sends a line from the message box; fails with the error the page shows, if it shows one. */
async function say(tab: Tab, text: string) {
  await tab.page.fill('#say input', text);
  await tab.page.click('#send');
  const error = await waitFor(
    `${tab.name}'s message box to empty`,
    async () => ((await tab.page.inputValue('#say input')) === '' ? { shown: '' } : undefined),
    { timeout: TIMEOUT },
  ).catch(async (err: Error) => ({
    shown: `${err.message}; the page says: ${await tab.page.textContent('#say-error')}`,
  }));
  expect(error.shown).toBe('');
}

/** The conversation lines of the shown room as `from: text`, in order. */
function conversation(tab: Tab): Promise<string[]> {
  return tab.page.$$eval('#log li.message:not([hidden])', (items) =>
    items.map((li) => `${li.querySelector('.from')?.textContent}: ${li.querySelector('.text')?.textContent}`),
  );
}

async function heard(tab: Tab, line: string) {
  await waitFor(`'${line}' on ${tab.name}'s page`, async () => (await conversation(tab)).includes(line), {
    timeout: TIMEOUT,
  });
}

/** The pid of cluster worker `id` among the primary's children (Node gives each NODE_UNIQUE_ID). */
async function workerPid(primary: RunningProcess, id: number): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== primary.child.pid) continue;
      const env = (await readFile(`/proc/${entry}/environ`, 'utf8')).split('\0');
      if (env.includes(`NODE_UNIQUE_ID=${id}`)) return Number(entry);
    } catch {
      // a process that ended meanwhile
    }
  }
  throw new Error(`no cluster worker ${id} among the children of ${primary.child.pid}`);
}

/**
 * Reloads `tab` and runs `meanwhile` once `other` saw it leave and before its page connects
 * again (its socket.io client script is held back); resolves with the worker it landed on and
 * the page's notice about its session.
 */
async function reloadWhile(tab: Tab, meanwhile: () => Promise<void>, other: Tab) {
  const gone = await other.page.locator('#log li.system', { hasText: `${tab.name} left` }).count();
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await tab.page.route('**/socket.io/socket.io.js', async (route) => {
    await held;
    await route.continue();
  });
  const reloaded = tab.page.reload();
  await waitFor(
    `${other.name}'s page to say that ${tab.name} left`,
    async () => (await other.page.locator('#log li.system', { hasText: `${tab.name} left` }).count()) > gone,
    { timeout: TIMEOUT },
  );
  await meanwhile();
  release();
  await reloaded;
  await tab.page.unrouteAll();
  const worker = await upgradedWorker(tab);
  const notice = tab.page.locator('#notice:not([hidden])');
  await notice.waitFor();
  return { worker, notice: await notice.textContent() };
}

/** Two people in the same room, each in a browser of their own, served by different workers. */
async function twoTabs() {
  const { chat, url } = await startChat();
  const browser = await launchChromium();
  const ann = await openTab(browser, url, 'ann');
  const annWorker = await login(ann);
  let bob = await openTab(browser, url, 'bob');
  let bobWorker = await login(bob);
  // The primary spreads new sessions over the workers; try new browsers until bob is elsewhere.
  for (let i = 0; i < 8 && bobWorker === annWorker; i++) {
    await bob.page.context().close();
    bob = await openTab(browser, url, 'bob');
    bobWorker = await login(bob);
  }
  expect(bobWorker).not.toBe(annWorker);
  expect(await online(ann, ['ann', 'bob'])).toEqual({ ann: annWorker, bob: bobWorker });
  expect(await online(bob, ['ann', 'bob'])).toEqual({ ann: annWorker, bob: bobWorker });
  return { chat, browser, url, ann, bob, annWorker, bobWorker };
}

/** Both tabs side by side in one PNG under test-artifacts/, for a human to look at. */
async function screenshot(browser: Browser, file: string, tabs: Tab[]) {
  const shots = await Promise.all(tabs.map(async (tab) => (await tab.page.screenshot()).toString('base64')));
  const context = await browser.newContext({ viewport: { width: 1900, height: 700 } });
  const sheet = await context.newPage();
  await sheet.setContent(
    `<body style="margin:0"><div id="sheet" style="display:inline-flex;gap:20px;padding:20px;background:#2b2f36">${shots
      .map((png) => `<img style="box-shadow:0 4px 18px #0008" src="data:image/png;base64,${png}">`)
      .join('')}</div></body>`,
  );
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(`${ARTIFACTS}${file}`, await sheet.locator('#sheet').screenshot());
  await context.close();
}

const describeBrowser = await describeWithChromium();

describeBrowser('examples/micro-chat in Chromium (playwright-core)', () => {
  it('two tabs on different workers chat in a room both ways and whisper, with no page error', async () => {
    const { browser, ann, bob, annWorker, bobWorker } = await twoTabs();

    await say(ann, 'hello bob');
    await heard(bob, 'ann: hello bob');
    await say(bob, 'hi ann, I am on the other worker');
    await heard(ann, 'bob: hi ann, I am on the other worker');
    // each line once, in order, on both pages (bob's reply was sent after ann's line arrived)
    const lines = ['ann: hello bob', 'bob: hi ann, I am on the other worker'];
    expect(await conversation(ann)).toEqual(lines);
    expect(await conversation(bob)).toEqual(lines);

    // ann whispers to bob by clicking his name; it goes to his socket on the other worker only
    await ann.page.click('#members li[data-name="bob"] button');
    expect(await ann.page.textContent('#to')).toContain('whisper to bob');
    await say(ann, 'psst, only you can read this');
    const whisper = bob.page.locator('#log li.whisper', { hasText: 'only you can read this' });
    await whisper.waitFor();
    expect(await whisper.locator('.from').textContent()).toBe('ann → you');
    expect(await ann.page.textContent('#log li.whisper')).toContain('you → bob');

    // an error answer shows where the user acted, and the page stays usable
    await ann.page.click('#to-room'); // back to the room
    await ann.page.fill('#join input', '../etc');
    await ann.page.click('#join button');
    await ann.page.locator('#join-error', { hasText: /\S/ }).waitFor();
    expect(await ann.page.textContent('#join-error')).toMatch(/\(\w+\)$/); // message (CODE)
    await say(ann, 'still here');
    await heard(bob, 'ann: still here');

    await screenshot(browser, 'micro-chat-two-tabs.png', [ann, bob]);
    expect(await ann.page.textContent('#status')).toBe(`ann · worker ${annWorker} · websocket`);
    expect(await bob.page.textContent('#status')).toBe(`bob · worker ${bobWorker} · websocket`);
    expect([...ann.errors, ...bob.errors]).toEqual([]);
  }, 90_000);

  it('a tab whose worker is SIGKILLed reconnects by itself; a reloaded tab comes back to its room', async () => {
    const { chat, browser, ann, bob, annWorker, bobWorker } = await twoTabs();

    process.kill(await workerPid(chat, bobWorker), 'SIGKILL');
    // socket.io-client reconnects by itself, through the primary, to a worker that is alive; the
    // session held by the dead worker is gone, and the page says so and rejoins the room
    const notice = bob.page.locator('#notice', { hasText: 'New session' });
    await notice.waitFor({ timeout: 30_000 });
    const bobNow = await upgradedWorker(bob);
    expect(bobNow).not.toBe(bobWorker);
    expect(await notice.textContent()).toBe(
      `New session on worker ${bobNow} (your previous session was held by worker ${bobWorker}, and only ` +
        'the worker holding a session can recover it). Rejoined #general; messages sent while you were ' +
        'away were not delivered.',
    );
    expect(await online(bob, ['ann', 'bob'])).toEqual({ ann: annWorker, bob: bobNow });
    await online(ann, ['ann', 'bob']);
    await say(bob, 'back after my worker died');
    await heard(ann, 'bob: back after my worker died');
    await say(ann, 'welcome back');
    await heard(bob, 'ann: welcome back');
    await screenshot(browser, 'micro-chat-after-worker-killed.png', [ann, bob]);

    // ann reloads her tab twice, within connection state recovery's window (2 minutes); bob
    // speaks while her page is loading again. Her browser sends the routing cookie (engine.io's
    // `io`, her previous session id) with the new handshake, so the primary hands it to the worker
    // holding her session, which recovers it (RECONNECT): same worker, same rooms, and what bob
    // said meanwhile is delivered.
    for (const round of [1, 2]) {
      const missed = `did you miss this? (${round})`;
      const { worker, notice } = await reloadWhile(ann, () => say(bob, missed), bob);
      expect(worker).toBe(annWorker);
      expect(notice).toBe(
        `Session recovered on worker ${worker}: you are still in #general, and what was said ` +
          'meanwhile has been delivered.',
      );
      await heard(ann, `bob: ${missed}`);
      await online(ann, ['ann', 'bob']);
      await say(ann, `I reloaded (${round})`);
      await heard(bob, `ann: I reloaded (${round})`);
      await heard(ann, `ann: I reloaded (${round})`);
    }
    expect([...ann.errors, ...bob.errors]).toEqual([]);
  }, 120_000);
});
