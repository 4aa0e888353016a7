// The console in Debian's headless Chromium, driven by playwright-core: one browser, every scenario
// in one page, a line per scenario on stdout ("ok …" or "FAIL …"), exit code 0 only when all passed.
// Run by ConsoleBrowserTest against a stack it started; by hand:
//   node src/test/browser/console.mjs --base http://localhost:7071 --service mobilenet \
//     --image ../shared/fixtures/imagenet/imagenet_finch.jpeg --expect "house finch" --upload bad --reason "…"
import { readFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: options } = parseArgs({
  options: {
    base: { type: 'string' },
    service: { type: 'string' },
    image: { type: 'string' },
    expect: { type: 'string' },
    upload: { type: 'string' },
    reason: { type: 'string' },
    folder: { type: 'string', default: 'console' },
    screenshots: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    timeout: { type: 'string', default: '60000' },
  },
});
for (const required of ['base', 'service', 'image', 'expect', 'upload', 'reason']) {
  if (!options[required]) {
    console.error(`console.mjs: --${required} is required`);
    process.exit(2);
  }
}
const timeout = Number(options.timeout);
const service = options.service;
const card = `[data-service="${service}"]`;

const browser = await chromium.launch({
  executablePath: options.chromium,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
let failed = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(timeout);

  // Every error the page logs or throws. Chromium also logs each HTTP error answer as "Failed to
  // load resource" (without saying which): those are the refusals, listed from the responses
  // themselves, as the scenarios provoke some on purpose.
  const errors = [];
  const refusals = new Set();
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource: the server responded with a status of')) {
      errors.push(`${message.text()} (${message.location().url || 'no location'})`);
    }
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) {
      refusals.add(`${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`);
    }
  });

  const scenario = async (name, body) => {
    try {
      const detail = await body();
      console.log(`ok ${name}${detail ? `: ${detail}` : ''}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}: ${String(error.message || error).split('\n')[0]}`);
    }
  };
  const screenshot = async (name, target = page) => {
    if (options.screenshots) {
      mkdirSync(options.screenshots, { recursive: true });
      await target.screenshot({ path: join(options.screenshots, `${name}.png`), ...(target === page ? { fullPage: true } : {}) });
    }
  };

  await scenario('load', async () => {
    // without the trailing slash: the app redirects to the folder the page's links are relative to
    const response = await page.goto(`${options.base}/api/console`);
    if (!response.ok() || !page.url().endsWith('/api/console/')) {
      throw new Error(`GET /api/console ended at ${page.url()} with ${response.status()}`);
    }
    await page.locator('#health', { hasText: 'Healthy' }).waitFor();
    await page.locator(card).waitFor();
    await page.locator('#model-table tbody tr').first().waitFor();
    await page.waitForLoadState('networkidle');
    if (errors.length) {
      throw new Error(`console errors on load: ${errors.join(' | ')}`);
    }
    return `${await page.title()}; ${await page.locator('#health').textContent()}`;
  });

  await scenario('drop', async () => {
    // a real drop: a DataTransfer holding the photo's bytes as a File, dispatched on the service's drop zone
    const bytes = readFileSync(options.image).toString('base64');
    const transfer = await page.evaluateHandle(({ data, name }) => {
      const raw = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dataTransfer = new DataTransfer();
      dataTransfer.items.add(new File([raw], name, { type: name.endsWith('.png') ? 'image/png' : 'image/jpeg' }));
      return dataTransfer;
    }, { data: bytes, name: basename(options.image) });
    await page.locator(`${card} .drop`).dispatchEvent('drop', { dataTransfer: transfer });
    const top1 = await topOne();
    return `${top1}; ${await page.locator(`${card} .split`).innerText().then((t) => t.replace(/\s+/g, ' '))}`;
  });

  await scenario('pick', async () => {
    await page.locator(`${card} .scored`).evaluate((element) => element.replaceChildren());
    await page.locator(`${card} input[type=file]`).setInputFiles(options.image);
    const top1 = await topOne();
    await page.locator(card).scrollIntoViewIfNeeded();
    await screenshot('console-score', page.locator(card));
    return top1;
  });

  await scenario('keys', async () => {
    const keys = page.locator(`${card} dd.mono`);
    await keys.filter({ hasText: 'primary' }).waitFor();
    return (await keys.textContent()).trim();
  });

  await scenario('upload', async () => {
    const item = page.locator(`[data-upload="${options.upload}"]`);
    await item.locator('.badge', { hasText: 'Rejected' }).waitFor();
    await item.locator('.reasons li', { hasText: options.reason }).waitFor();
    await screenshot('console-upload', page.locator('#uploads'));
    return (await item.locator('.reasons').innerText()).trim();
  });

  await scenario('refusal', async () => {
    // deploying under a name in use: the API's own 409 shows next to the form
    await page.locator('#deploy-form').evaluate((form) => form.closest('details').setAttribute('open', ''));
    await page.fill('#deploy-form input[name=name]', service);
    await page.click('#deploy-form button[type=submit]');
    const shown = page.locator('.outcome[data-for="deploy-form"].error');
    await shown.waitFor();
    return (await shown.textContent()).trim();
  });

  await scenario('results', async () => {
    await page.selectOption('#results-form select[name=service]', service);
    await page.fill('#results-form input[name=folder]', options.folder);
    await page.click('#results-form button[type=submit]');
    const row = page.locator(`#result-table tr[data-path^="${options.folder}/"]`, { hasText: options.expect });
    await row.first().waitFor();
    return (await row.first().innerText()).replace(/\s+/g, ' ').trim();
  });

  await scenario('events', async () => {
    const row = page.locator('#event-table tbody tr', { hasText: 'ImageScored' });
    await row.first().waitFor();
    return `${await page.locator('#event-table tbody tr').count()} shown`;
  });

  await scenario('latency', async () => {
    const panel = page.locator('#histograms');
    // with metrics served, the photos scored above must show in the service's histogram; without, the panel says so
    const served = (await page.request.get(`${options.base}/api/metrics`)).ok();
    await panel.locator(served ? `[data-histogram="${service}"]` : '.empty').first().waitFor();
    return (await panel.innerText()).replace(/\s+/g, ' ').trim();
  });

  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot('console');

  await scenario('no console errors', async () => {
    if (errors.length) {
      throw new Error(errors.join(' | '));
    }
    return refusals.size ? `none; HTTP refusals: ${[...refusals].join(', ')}` : 'none';
  });

  async function topOne() {
    const label = page.locator(`${card} .top5 li:first-child .label`);
    await label.waitFor();
    const text = (await label.textContent()).trim();
    if (text !== options.expect) {
      throw new Error(`top-1 is '${text}', not '${options.expect}'`);
    }
    const confidence = (await page.locator(`${card} .top5 li:first-child .value`).textContent()).trim();
    return `top-1 ${text} ${confidence}`;
  }
} finally {
  await browser.close();
}
console.log(failed ? `${failed} scenario(s) failed` : 'all scenarios passed');
process.exit(failed ? 1 : 0);
