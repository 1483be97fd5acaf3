#!/usr/bin/env node
// Browser checks of spyatlas's pages, in Debian's headless Chromium (driven by playwright-core;
// no browser is downloaded).
//
//   node tests/browser/check-pages.mjs <base-url> <out-dir>
//
// For every page (the default list below, or the comma-separated paths of env PAGES) and each
// width (375, 1024, 1440 px) it loads the page, takes a full-page screenshot
// (<out-dir>/<slug>-<width>.png) and checks that the page is no wider than the screen, makes no
// request outside the server's host, logs no console error, throws no page error and breaks no
// Content Security Policy rule. At 1024 px it also runs axe-core and checks keyboard use (Tab
// reaches a link or control first, every focused element shows a focus indicator, links inside
// SVG pictures are focusable).
//
// Writes <out-dir>/report.json: { pages: [{ path, status, violations, failures, ... }], failures: N }.
// Exit code: 0 no failure, 1 some failure, 2 setup error (bad arguments, modules not installed,
// browser cannot be launched, server unreachable).
//
// Env: PAGES overrides the page list ("/,/people,/id/no-such-entity#404": a "#NNN" suffix sets the
// HTTP status that page is expected to answer with; by default 2xx). CHROMIUM_PATH overrides
// /usr/bin/chromium.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TIMEOUT_MS = 15_000;
const TABS = 40;
const WIDTHS = [
  { width: 375, height: 800 },
  { width: 1024, height: 768 },
  { width: 1440, height: 900 },
];
const CHECK_WIDTH = 1024; // axe and keyboard run at this width only
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
const DEFAULT_PAGES = [
  '/',
  '/?lang=nl',
  '/people',
  '/vendors',
  '/id/luca-casarini',
  '/id/paragon-spyware-attacks-on-whatsapp-users-2024',
  '/id/paragon-solutions',
  '/id/italy',
  '/report/italie-belgische-nummers-doelwit-van-israelische-whatsapp-hack',
  '/search?q=paragon',
  '/search',
  '/path',
  '/path?from=luca-casarini&to=paragon-solutions',
  '/queries/entity_statements',
  '/sparql',
  '/id/no-such-entity#404',
];

class SetupError extends Error {}

function usage() {
  return 'usage: node tests/browser/check-pages.mjs <base-url> <out-dir>';
}

/** `/path?from=a&to=b` -> `path-from-a-to-b`; `/` -> `home`. */
function slugOf(pagePath) {
  const slug = pagePath
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
  if (slug === '') return 'home';
  return pagePath.startsWith('/?') ? `home-${slug}` : slug;
}

/** "/x#404" -> { path: "/x", expect: 404 }; "/x" -> { path: "/x", expect: null (any 2xx) }. */
function parsePage(entry) {
  const match = /^(.*)#(\d{3})$/.exec(entry);
  const pagePath = match ? match[1] : entry;
  return { path: pagePath.startsWith('/') ? pagePath : `/${pagePath}`, expect: match ? Number(match[2]) : null };
}

function pageList() {
  const raw = process.env.PAGES;
  const entries = raw && raw.trim() !== '' ? raw.split(',') : DEFAULT_PAGES;
  const pages = entries.map((entry) => entry.trim()).filter((entry) => entry !== '').map(parsePage);
  const used = new Set();
  for (const page of pages) {
    let slug = slugOf(page.path);
    for (let n = 2; used.has(slug); n++) slug = `${slugOf(page.path)}-${n}`;
    used.add(slug);
    page.slug = slug;
  }
  return pages;
}

async function loadModules() {
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (error) {
    throw new SetupError(
      `cannot load playwright-core (${error.message}): run \`npm ci --prefix tests/browser\` first`,
    );
  }
  let axeSource;
  try {
    const require = createRequire(path.join(HERE, 'package.json'));
    axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  } catch (error) {
    throw new SetupError(
      `cannot read axe-core (${error.message}): run \`npm ci --prefix tests/browser\` first`,
    );
  }
  const axeVersion = /axe v([\d.]+)/.exec(axeSource.slice(0, 300))?.[1] ?? 'unknown';
  return { chromium, axeSource, axeVersion };
}

async function checkServer(base) {
  try {
    const response = await fetch(base, { signal: AbortSignal.timeout(10_000), redirect: 'manual' });
    await response.arrayBuffer();
  } catch (error) {
    const cause = error.cause ? `${error.cause.code ?? ''} ${error.cause.message ?? ''}`.trim() : error.message;
    throw new SetupError(`server unreachable at ${base.href} (${cause})`);
  }
}

// Runs in the page before any of its scripts: keeps every securitypolicyviolation event.
const RECORD_CSP = () => {
  const seen = [];
  Object.defineProperty(window, '__spyatlasCspViolations', { value: seen });
  document.addEventListener('securitypolicyviolation', (event) => {
    seen.push({
      directive: event.effectiveDirective || event.violatedDirective,
      blocked: event.blockedURI,
      source: event.sourceFile ? `${event.sourceFile}:${event.lineNumber}` : '',
      sample: event.sample,
    });
  });
};

// Runs in the page: elements wider than the screen, to say which one overflows.
const OVERFLOW = () => {
  const limit = window.innerWidth + 1;
  const scrollWidth = document.documentElement.scrollWidth;
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += `#${el.id}`;
    const cls = typeof el.className === 'string' ? el.className.trim().split(/\s+/).filter(Boolean) : [];
    if (cls.length) text += `.${cls.slice(0, 2).join('.')}`;
    return text;
  };
  const culprits = [];
  if (scrollWidth > limit) {
    for (const el of document.body ? document.body.querySelectorAll('*') : []) {
      const rect = el.getBoundingClientRect();
      if (rect.right > limit && rect.width > 0) {
        // only the outermost element that overflows, not each of its descendants
        let parent = el.parentElement;
        let inside = false;
        while (parent && parent !== document.body) {
          if (parent.getBoundingClientRect().right > limit) { inside = true; break; }
          parent = parent.parentElement;
        }
        if (!inside) culprits.push(`${describe(el)} (right edge ${Math.round(rect.right)} px)`);
        if (culprits.length >= 3) break;
      }
    }
  }
  return { scrollWidth, innerWidth: window.innerWidth, ok: scrollWidth <= limit, culprits };
};

// Runs in the page: what has the focus, and whether it shows it.
const FOCUSED = () => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return { tag: el ? el.tagName.toLowerCase() : 'none', body: true };
  }
  const style = getComputedStyle(el);
  const transparent = (color) => /^(transparent|rgba\(.*,\s*0\))$/.test(color.trim());
  const outline =
    style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 && !transparent(style.outlineColor);
  const shadow = style.boxShadow !== 'none' && style.boxShadow.trim() !== '';
  const tag = el.tagName.toLowerCase();
  const href = el.getAttribute('href') ?? el.getAttribute('xlink:href');
  const role = el.getAttribute('role');
  const interactiveRoles = ['link', 'button', 'checkbox', 'radio', 'switch', 'tab', 'menuitem', 'option',
    'textbox', 'searchbox', 'combobox', 'slider', 'spinbutton'];
  const interactive =
    (['a', 'area'].includes(tag) && href !== null) ||
    ['button', 'input', 'select', 'textarea', 'summary', 'iframe'].includes(tag) ||
    el.isContentEditable ||
    (role !== null && interactiveRoles.includes(role));
  const text = (el.textContent || el.getAttribute('aria-label') || el.getAttribute('name') || '')
    .replace(/\s+/g, ' ').trim().slice(0, 60);
  return {
    tag,
    id: el.id || undefined,
    href: href ?? undefined,
    role: role ?? undefined,
    text: text || undefined,
    inSvg: el.closest('svg') !== null,
    interactive,
    skipLink: tag === 'a' && typeof href === 'string' && href.startsWith('#'),
    indicator: outline || shadow,
    outline: `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}`,
    boxShadow: style.boxShadow,
  };
};

// Runs in the page: whether each <a> inside an <svg> can take the focus from the keyboard.
const SVG_LINKS = () => {
  const results = [];
  for (const link of document.querySelectorAll('svg a')) {
    link.focus();
    const focusable = document.activeElement === link && link.tabIndex >= 0;
    results.push({
      href: link.getAttribute('href') ?? link.getAttribute('xlink:href') ?? undefined,
      focusable,
    });
  }
  if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
  return results;
};

function describeFocus(step) {
  if (step.body) return `<${step.tag}>`;
  let text = `<${step.tag}`;
  if (step.id) text += ` id="${step.id}"`;
  if (step.href !== undefined) text += ` href="${step.href}"`;
  if (step.role) text += ` role="${step.role}"`;
  text += '>';
  if (step.text) text += ` "${step.text}"`;
  return text;
}

/** Checks one page at one width. Returns { status, failures, violations?, keyboard?, screenshot }. */
async function checkOnce({ context, axeSource, base, page: entry, width, out, axeContext }) {
  const failures = [];
  const fail = (kind, message) => failures.push({ kind, message });
  const url = new URL(entry.path, base).href;
  const page = await context.newPage();
  const consoleCsp = [];
  const faviconUrl = new URL('/favicon.ico', base).href;
  const faviconErrors = [];

  page.on('request', (request) => {
    const requested = new URL(request.url());
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(requested.protocol)) return;
    if (requested.host !== base.host) fail('outside-request', `outside request: ${request.method()} ${request.url()}`);
  });
  page.on('websocket', (socket) => {
    if (new URL(socket.url()).host !== base.host) fail('outside-request', `outside request: websocket ${socket.url()}`);
  });
  page.on('pageerror', (error) => fail('page-error', `page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (/content[- ]security[- ]policy/i.test(text)) {
      consoleCsp.push(text);
      return;
    }
    if (message.type() !== 'error') return;
    // The document itself answering with an error status (the 404 page) is logged by Chromium as
    // a failed load: the status check below judges that, against the status the page should have.
    const location = message.location()?.url;
    if (/^Failed to load resource/.test(text) && location === url) return;
    // Chromium asks for /favicon.ico on its own (once in a while, not on every load) when the
    // page names no icon: that counts only when the page does name it.
    if (/^Failed to load resource/.test(text) && location === faviconUrl) {
      faviconErrors.push(text);
      return;
    }
    fail('console-error', `console error: ${text}${location && location !== url ? ` (${location})` : ''}`);
  });

  const result = { status: null, failures };
  try {
    let response;
    try {
      response = await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
      await page.waitForLoadState('networkidle', { timeout: TIMEOUT_MS });
    } catch (error) {
      fail('load', `did not load within ${TIMEOUT_MS / 1000} s: ${error.message.split('\n')[0]}`);
      return result;
    }
    result.status = response ? response.status() : null;
    const status = result.status;
    if (status === null) fail('http-status', 'no response for the page');
    else if (entry.expect !== null ? status !== entry.expect : status < 200 || status > 299) {
      fail('http-status', `answered ${status}, expected ${entry.expect ?? '2xx'}`);
    }
    const finalHost = new URL(page.url()).host;
    if (finalHost !== base.host) fail('outside-request', `ended on another host: ${page.url()}`);

    const file = path.join(out, `${entry.slug}-${width.width}.png`);
    await page.screenshot({ path: file, fullPage: true, timeout: TIMEOUT_MS });
    result.screenshot = path.basename(file);

    const overflow = await page.evaluate(OVERFLOW);
    if (!overflow.ok) {
      fail('overflow', `wider than the screen at ${width.width} (scrollWidth ${overflow.scrollWidth} px` +
        `${overflow.culprits.length ? `; ${overflow.culprits.join(', ')}` : ''})`);
    }

    if (width.width === CHECK_WIDTH) {
      result.keyboard = await checkKeyboard(page, fail);
      result.violations = await runAxe(page, axeSource, axeContext, url, fail, result);
    }

    if (faviconErrors.length > 0) {
      const named = await page.evaluate((icon) =>
        [...document.querySelectorAll('link[rel~="icon" i]')].some((link) => link.href === icon), faviconUrl);
      if (named) for (const text of faviconErrors) fail('console-error', `console error: ${text} (${faviconUrl})`);
    }

    const events = await page.evaluate(() => window.__spyatlasCspViolations ?? []);
    for (const event of events) {
      fail('csp-violation', `CSP violation: ${event.directive} blocked ${event.blocked || '(inline)'}` +
        `${event.source ? ` at ${event.source}` : ''}${event.sample ? ` (${event.sample})` : ''}`);
    }
    // Each event is also logged to the console; the console alone counts only when no event came
    // (a policy Chromium ignores or cannot parse is only logged).
    if (events.length === 0) for (const text of consoleCsp) fail('csp-violation', `CSP: ${text}`);
  } finally {
    await page.close().catch(() => {});
  }
  return result;
}

async function checkKeyboard(page, fail) {
  const steps = [];
  let first = null;
  for (let i = 0; i < TABS; i++) {
    await page.keyboard.press('Tab');
    const step = await page.evaluate(FOCUSED);
    steps.push(step);
    if (!step.body) {
      const key = describeFocus(step);
      if (first === null) first = key;
      else if (key === first) break; // wrapped around to the start
    } else if (steps.some((s) => !s.body)) {
      break; // past the last element: focus left the document
    }
  }
  const reached = steps.filter((s) => !s.body);
  if (reached.length === 0) {
    fail('keyboard', `focus never leaves <body> after ${steps.length} Tab presses`);
  } else if (!steps[0] || steps[0].body || !steps[0].interactive) {
    fail('keyboard', `the first Tab reaches ${describeFocus(steps[0])}, not a skip link, link or control`);
  }
  const reported = new Set();
  for (const step of reached) {
    if (step.indicator) continue;
    const key = describeFocus(step);
    if (reported.has(key)) continue;
    reported.add(key);
    fail('focus-indicator', `no visible focus indicator on ${key} (outline ${step.outline}, box-shadow ${step.boxShadow})`);
  }
  const svgLinks = await page.evaluate(SVG_LINKS);
  for (const link of svgLinks) {
    if (!link.focusable) fail('svg-link', `link in an SVG picture cannot take the focus: <a href="${link.href ?? ''}">`);
  }
  return {
    firstTab: steps[0] ? describeFocus(steps[0]) : null,
    skipLink: Boolean(steps[0] && steps[0].skipLink),
    tabs: steps.length,
    focused: reached.map((s) => ({ element: describeFocus(s), indicator: s.indicator })),
    svgLinks: svgLinks.length,
  };
}

async function injectAxe(page, axeSource) {
  // page.evaluate goes through the DevTools protocol, which the page's CSP
  // (script-src 'self') does not block, unlike page.addScriptTag.
  await page.evaluate(axeSource);
  return page.evaluate(() => typeof window.axe?.run === 'function');
}

async function runAxe(page, axeSource, axeContext, url, fail, result) {
  let target = page;
  result.axeInjection = 'page.evaluate';
  let extra = null;
  try {
    if (!(await injectAxe(page, axeSource).catch(() => false))) {
      // Fallback: a separate context that bypasses CSP, for the axe run only.
      extra = await (await axeContext()).newPage();
      await extra.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS });
      await extra.waitForLoadState('networkidle', { timeout: TIMEOUT_MS });
      if (!(await injectAxe(extra, axeSource))) throw new Error('axe-core did not load in the page');
      target = extra;
      result.axeInjection = 'bypassCSP context';
    }
    const results = await target.evaluate(() =>
      window.axe.run(document, { resultTypes: ['violations'] }).then((r) =>
        r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          helpUrl: v.helpUrl,
          nodes: v.nodes.length,
          targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')),
        })),
      ),
    );
    for (const v of results) {
      if (v.impact === 'serious' || v.impact === 'critical') {
        fail('axe', `axe ${v.impact}: ${v.id}: ${v.help} (${v.nodes} element${v.nodes === 1 ? '' : 's'}, e.g. ${v.targets.join(' | ')})`);
      }
    }
    return results;
  } catch (error) {
    fail('axe', `axe-core could not run: ${error.message.split('\n')[0]}`);
    return [];
  } finally {
    if (extra) await extra.close().catch(() => {});
  }
}

/** Failures of one page over all widths, the same failure at several widths once. */
function merge(perWidth) {
  const merged = new Map();
  for (const { width, failures } of perWidth) {
    for (const failure of failures) {
      const key = `${failure.kind}\n${failure.message}`;
      if (!merged.has(key)) merged.set(key, { ...failure, widths: [] });
      const entry = merged.get(key);
      if (!entry.widths.includes(width)) entry.widths.push(width);
    }
  }
  return [...merged.values()];
}

async function main() {
  const [baseArg, outArg] = process.argv.slice(2);
  if (!baseArg || !outArg) throw new SetupError(usage());
  let base;
  try {
    base = new URL(baseArg);
  } catch {
    throw new SetupError(`not a URL: ${baseArg}\n${usage()}`);
  }
  if (!['http:', 'https:'].includes(base.protocol)) throw new SetupError(`not an http(s) URL: ${baseArg}`);
  const out = path.resolve(outArg);
  try {
    mkdirSync(out, { recursive: true });
  } catch (error) {
    throw new SetupError(`cannot create ${out}: ${error.message}`);
  }
  const pages = pageList();
  if (pages.length === 0) throw new SetupError('no page to check (PAGES is empty)');

  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new SetupError(`no browser at ${executablePath}: install Debian's chromium (apt-get install -y chromium)`);
  }
  const { chromium, axeSource, axeVersion } = await loadModules();
  await checkServer(base);

  const started = Date.now();
  let browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (error) {
    throw new SetupError(`cannot launch ${executablePath}: ${error.message.split('\n')[0]}`);
  }
  let disconnected = false;
  browser.on('disconnected', () => { disconnected = true; });

  const report = { base: base.href, browser: `chromium ${browser.version()}`, axe: axeVersion, widths: WIDTHS.map((w) => w.width), pages: [], failures: 0 };
  try {
    const contexts = new Map();
    for (const width of WIDTHS) {
      const context = await browser.newContext({ viewport: width, reducedMotion: 'reduce', serviceWorkers: 'block' });
      await context.addInitScript(RECORD_CSP);
      contexts.set(width.width, context);
    }
    let bypass = null;
    const axeContext = async () => {
      bypass ??= await browser.newContext({ viewport: { width: 1024, height: 768 }, bypassCSP: true });
      return bypass;
    };

    for (const entry of pages) {
      const perWidth = [];
      let status = null;
      let violations = [];
      let keyboard;
      let axeInjection;
      const screenshots = [];
      if (disconnected) throw new SetupError('the browser closed during the run');
      const pageStarted = Date.now();
      // The three widths of a page load side by side, each in its own context.
      const results = await Promise.all(WIDTHS.map((width) =>
        checkOnce({ context: contexts.get(width.width), axeSource, base, page: entry, width, out, axeContext })));
      if (disconnected) throw new SetupError('the browser closed during the run');
      for (const [i, width] of WIDTHS.entries()) {
        const result = results[i];
        perWidth.push({ width: width.width, failures: result.failures });
        if (status === null) status = result.status;
        if (result.violations) violations = result.violations;
        if (result.keyboard) keyboard = result.keyboard;
        if (result.axeInjection) axeInjection = result.axeInjection;
        if (result.screenshot) screenshots.push(result.screenshot);
      }
      const failures = merge(perWidth);
      report.pages.push({ path: entry.path, status, expectedStatus: entry.expect ?? '2xx', seconds: Math.round((Date.now() - pageStarted) / 100) / 10, screenshots, axeInjection, violations, keyboard, failures });
      report.failures += failures.length;
      const mark = failures.length === 0 ? 'ok  ' : 'FAIL';
      console.log(`${mark} ${entry.path} (${status ?? 'no answer'}): ${failures.length} failure${failures.length === 1 ? '' : 's'}, ${violations.length} axe violation${violations.length === 1 ? '' : 's'}`);
      for (const failure of failures) {
        const at = failure.widths.length === WIDTHS.length ? 'all widths' : failure.widths.join(', ');
        console.log(`       - [${failure.kind}] ${failure.message} (${at})`);
      }
    }
  } finally {
    await browser.close().catch(() => {});
  }
  report.seconds = Math.round((Date.now() - started) / 100) / 10;

  const kinds = {};
  for (const page of report.pages) for (const failure of page.failures) kinds[failure.kind] = (kinds[failure.kind] ?? 0) + 1;
  report.failureKinds = kinds;
  writeFileSync(path.join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);

  const failing = report.pages.filter((p) => p.failures.length > 0).length;
  console.log(
    `\n${report.pages.length} pages × ${WIDTHS.length} widths in ${report.seconds} s: ` +
      `${report.failures} failure${report.failures === 1 ? '' : 's'} on ${failing} page${failing === 1 ? '' : 's'}` +
      `${Object.keys(kinds).length ? ` (${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}` +
      `; report and screenshots in ${out}`,
  );
  return report.failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof SetupError) console.error(`check-pages: setup error: ${error.message}`);
    else console.error(`check-pages: setup error (unexpected): ${error.stack ?? error}`);
    process.exit(2);
  },
);
