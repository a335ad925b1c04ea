import * as fs from 'node:fs';
import * as path from 'node:path';

/** The README and docs/ link to each other's sections: every relative link must lead somewhere. */

const ROOT = path.resolve(__dirname, '..', '..');
const PAGES = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).map((f) => `docs/${f}`)];

/** Markdown text without its fenced code blocks (a `](#x)` inside code is not a link). */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

const anchorsOf = (page: string) =>
  new Set([...prose(fs.readFileSync(path.join(ROOT, page), 'utf8')).matchAll(/^#{1,6} (.*)$/gm)].map(([, h]) => anchorOf(h)));

test.each(PAGES)('every relative link in %s leads to a file and section that exist', (page) => {
  const links = [...prose(fs.readFileSync(path.join(ROOT, page), 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)].map(([, target]) => target);
  const broken = links
    .filter((target) => !/^[a-z]+:/.test(target))
    .filter((target) => {
      const [file, anchor] = target.split('#');
      const resolved = file ? path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, page)), file)) : page;
      if (!fs.existsSync(path.join(ROOT, resolved))) return true;
      return anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor);
    });
  expect(broken).toEqual([]);
});

test('the README stays a front door: its quick start comes first and every docs page is linked from it', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme.match(/^## .*/m)?.[0]).toBe('## Quick start');
  for (const page of PAGES.filter((p) => p.startsWith('docs/'))) expect(readme).toContain(`](${page})`);
});
