import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GradescopeResults, isWithheld, Result, Summary, type ChartLine } from '../result.ts';
import {
  csvField,
  guardFormula,
  histogram,
  renderChartSvg,
  renderChartText,
  renderClass,
  renderGradescope,
  renderStudentReport,
  studentDir,
  studentHref,
} from '../report/index.ts';
import {
  SECRET_HIDDEN_GROUP_TEST,
  SECRET_HIDDEN_TEST,
  SECRET_NAME_ONLY_MESSAGE,
  SECRET_NAME_ONLY_PROPERTY,
  XSS,
  bankChart,
  classResults,
  commaQuote,
  compileError,
  formula,
  fullMarks,
  hostile,
  withFailures,
} from './fixtures/report/sample-results.ts';

const SECRETS = [SECRET_HIDDEN_TEST, SECRET_HIDDEN_GROUP_TEST, SECRET_NAME_ONLY_MESSAGE, SECRET_NAME_ONLY_PROPERTY];
/** Markdown with fenced code blocks removed (inside a fence, text is never markup). */
const outsideFences = (md: string) => md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, '');

describe('schemas', () => {
  it('validate every fixture result', () => {
    for (const r of classResults) expect(() => Result.parse(r)).not.toThrow();
  });

  it('reject a result with a bad status or a missing field', () => {
    expect(Result.safeParse({ ...fullMarks, sandbox: { level: 'docker', description: '' } }).success).toBe(false);
    const { total: _total, ...noTotal } = fullMarks;
    expect(Result.safeParse(noTotal).success).toBe(false);
  });
});

describe('student report', () => {
  const bob = renderStudentReport(withFailures);

  it('Markdown gives property, observed, failing seed, replay command and the chart as text', () => {
    expect(bob.md).toContain('**Property:** money is conserved under concurrent transfers');
    expect(bob.md).toContain('balances + reservations sum to 990, expected 1000.');
    expect(bob.md).toContain('seed **4181**');
    expect(bob.md).toContain('`npm test -- bank --seed 4181`');
    expect(bob.md).toMatch(/```text\nt=1180 /);
    expect(bob.md).toMatch(/^t=1203 {4}teller {2}→ acc-3 {4}reserve {3}\{tx: "t-117", amount: 10\}$/m);
    expect(bob.md).toMatch(/^t=1210 {2}✂ acc-5 {3}→ teller {3}credited {2}\{tx: "t-117"\} \(dropped\)$/m);
    expect(bob.md).toMatch(/^t=3207 {2}◷ teller {13}timed out waiting for credited \{tx: "t-117"\}; no abort was sent$/m);
  });

  it('HTML draws the chart as inline SVG, with the drop cut by ✂, and keeps a text version', () => {
    expect(bob.html).toContain('<svg');
    const svg = bob.html.slice(bob.html.indexOf('<svg'), bob.html.indexOf('</svg>'));
    expect(svg).toContain('role="img"');
    expect(svg).toContain('>✂</text>');
    for (const p of ['teller', 'acc-3', 'acc-5', 'auditor', 'sup']) expect(svg).toContain(`>${p}</text>`);
    expect(bob.html).toContain('npm test -- bank --seed 4181');
    expect(bob.html).toContain('t&#x3D;1203    teller  → acc-3'); // the text version (Handlebars escapes =)
    // Unique ids for two charts on one page.
    const ids = [...bob.html.matchAll(/<title id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBe(2);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is self-contained: no scripts, no external assets', () => {
    for (const r of classResults) {
      const { html } = renderStudentReport(r);
      expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|@import|url\(http/i);
      expect(html.startsWith('<!doctype html>')).toBe(true);
    }
  });

  it('hides hidden tests and name-only details in HTML, Markdown and Gradescope', () => {
    for (const r of classResults) {
      const { html, md } = renderStudentReport(r);
      const gs = JSON.stringify(renderGradescope(r));
      for (const s of SECRETS) {
        expect(html).not.toContain(s);
        expect(md).not.toContain(s);
        expect(gs).not.toContain(s);
      }
    }
    // …while the name-only test and the hidden group's score are still shown.
    expect(bob.md).toContain('a retried transfer is applied once: failed, 0 / 5 (details of this test are not shown)');
    expect(bob.md).toContain('### Recovery after crashes: ✗ 0 / 5');
    expect(bob.html).toContain('Recovery after crashes');
  });

  it('shows status per exercise: compile error with diagnostics, missing, error with reason', () => {
    const carol = renderStudentReport(compileError);
    for (const out of [carol.html, carol.md]) {
      expect(out).toContain('bank/account.ts:42:17');
      expect(out).toContain('bank/teller.ts:7:3');
      expect(out).toContain('does not exist on type');
      expect(out).toContain('does not compile');
      expect(out).toContain('Not submitted');
      expect(out).toContain('No crawler/ folder in the submission.');
    }
    expect(carol.md).not.toContain('failed on 1 of 5 seeds'); // tests that did not run have no seeds
    const mallory = renderStudentReport(hostile);
    expect(mallory.md).toContain("Grading error: this exercise's marks are withheld");
    expect(mallory.md).toContain('This is not a 0');
  });

  it('shows sandbox level, warnings, intake notes and manual items awaiting marking (not as zero)', () => {
    for (const out of [bob.html, bob.md]) {
      expect(out).toContain('weaker isolation');
      expect(out).toContain('10 s watchdog');
      expect(out).toContain('path leaves the submission folder');
      expect(out).toContain('awaiting marking');
      expect(out).toContain('10 more points awaiting');
    }
    expect(bob.md).toContain('Design note: why the teller never blocks: awaiting marking (– / 10)');
    expect(bob.md).not.toMatch(/teller never blocks: 0 \/ 10/);
    // The percentage is of the points marked so far, not of a total that counts the awaiting ones as zero.
    const { score, max, awaiting } = withFailures.total;
    const marked = `${Math.round((100 * score) / (max - awaiting))}% of the ${max - awaiting} points marked so far`;
    for (const out of [bob.html, bob.md]) expect(out).toContain(marked);
    expect(bob.md).toContain(`**Total: ${score} / ${max} points** (${marked}) · ${awaiting} more points awaiting manual marking (not counted as zero)`);
    expect(renderStudentReport(fullMarks).md).toMatch(/^\*\*Total: \d+ \/ \d+ points\*\* \(\d+%\)$/m); // nothing awaiting: of the whole
  });

  it('a full-marks student sees only passes', () => {
    const { md, html } = renderStudentReport(fullMarks);
    expect(md).toContain('**Total: 69 / 70 points**');
    expect(md).not.toContain('✗');
    expect(md).not.toContain('####');
    expect(html).not.toContain('<svg');
    expect(html).toContain('✓ full marks');
  });

  it('escapes student-controlled text: no markup injection in HTML or Markdown', () => {
    const { html, md } = renderStudentReport(hostile);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('mallory&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toMatch(/a&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62;/); // inside the SVG
    expect(html).not.toContain('\u001b');

    const prose = outsideFences(md);
    expect(prose).not.toMatch(/(?<!\\)</);
    expect(prose).toContain('mallory\\<script\\>alert("x")\\</script\\>');
    expect(prose).toContain('\\# not a heading');
    expect(prose).toContain('\\- not a list');
    expect(prose).toContain('\\*\\*bold\\*\\*');
    expect(prose).toContain('\\[link\\](http://evil.example)');
    // A ``` in a chart detail cannot close the fence: the fence is longer.
    expect(md).toMatch(/^````text$/m);
    expect(md).not.toContain('\u001b');
  });
});

describe('Gradescope', () => {
  it('validates and maps visibility, numbers and tags', () => {
    for (const r of classResults) expect(() => GradescopeResults.parse(renderGradescope(r))).not.toThrow();
    const gs = renderGradescope(withFailures);
    const byNumber = new Map(gs.tests.map((t) => [t.number, t]));
    expect(byNumber.get('1.2')).toMatchObject({ name: 'Ring › ask returns the hop count', tags: ['ring', 'basics'], status: 'passed', visibility: 'visible' });
    const conserved = byNumber.get('2.1')!;
    expect(conserved.output).toContain('seed 4181 · replay: npm test -- bank --seed 4181');
    expect(conserved.output).toContain('✂ acc-5');
    const nameOnly = gs.tests.find((t) => t.name === 'Bank › a retried transfer is applied once')!;
    expect(nameOnly).toMatchObject({ visibility: 'visible', output: 'failed', status: 'failed', score: 0, max_score: 5 });
    const hidden = gs.tests.filter((t) => t.visibility === 'hidden');
    expect(hidden.map((t) => t.name)).toEqual(['Bank › Conservation of money › hidden test 1', 'Bank › Recovery after crashes › hidden test 1']);
    expect(hidden.every((t) => t.output === 'failed' || t.output === 'passed')).toBe(true);
    expect(gs.tests.find((t) => t.number === 'M.2')).toMatchObject({ score: 4, max_score: 5, tags: ['manual'] });
    expect(gs.tests.some((t) => t.name.includes('teller never blocks'))).toBe(false); // awaiting: no entry
    expect(gs.score).toBe(withFailures.total.score);
    expect(gs.output).toContain('awaiting manual marking');
    expect(gs.execution_time).toBe(41);
  });
});

describe('class outputs', () => {
  const cls = renderClass(classResults, { generatedAt: '2025-03-14T10:00:00.000Z' });

  it('summary validates; its histogram counts every student whose marks are not withheld, and lists those first', () => {
    expect(() => Summary.parse(cls.summary)).not.toThrow();
    expect(cls.summary.studentCount).toBe(classResults.length);
    const withheld = classResults.filter(isWithheld);
    expect(withheld.length).toBeGreaterThan(0);
    expect(cls.summary.histogram.bins.reduce((s, b) => s + b.count, 0)).toBe(classResults.length - withheld.length);
    expect(cls.summary.gradingErrors.map((g) => g.student)).toEqual(withheld.map((r) => r.student).sort());
    expect(cls.indexHtml.indexOf('Grading errors: marks withheld')).toBeLessThan(cls.indexHtml.indexOf('id="totals-h"'));
    expect(cls.summary.students.map((s) => s.student)).toEqual([...classResults.map((r) => r.student)].sort());
  });

  it('histogram bins: every score in exactly one bin, max in the last', () => {
    for (const max of [1, 7, 10, 47, 75, 100, 130, 1000]) {
      const scores = [0, max, max / 2, ...Array.from({ length: 50 }, (_, i) => (((i * 7919) % 101) / 100) * max)];
      const h = histogram(scores, max);
      expect(h.bins.length).toBeLessThanOrEqual(10);
      expect(h.bins.reduce((s, b) => s + b.count, 0)).toBe(scores.length);
      expect(h.bins[0]!.from).toBe(0);
      expect(h.bins.at(-1)!.to).toBeGreaterThanOrEqual(max);
      expect(h.bins.at(-1)!.count).toBeGreaterThan(0);
    }
    expect(histogram([], 0).bins.reduce((s, b) => s + b.count, 0)).toBe(0);
  });

  it('index.html: histogram SVG, averages, pass rates worst first, escaped links to each report', () => {
    const html = cls.indexHtml;
    expect(html).toContain('<svg');
    expect(html).toMatch(/Distribution of totals/);
    // One script: the student table's sorting and filtering, the same static code on every page.
    expect(html.match(/<script/g)).toHaveLength(1);
    const script = html.slice(html.indexOf('<script>'), html.indexOf('</script>'));
    for (const r of classResults) expect(script).not.toContain(r.student);
    expect(html).toContain('mallory&lt;script&gt;');
    for (const r of classResults) expect(html).toContain(`href="${studentHref(r.student).replace(/'/g, '&#x27;').replace(/=/g, '&#x3D;')}"`);
    expect(html).toContain('href="./students/alice/report.html"');
    const rates = [...html.matchAll(/<span class="pct">(\d+)%<\/span>/g)].map((m) => Number(m[1]));
    expect(rates.length).toBeGreaterThan(3);
    expect(rates).toEqual([...rates].sort((a, b) => a - b));
    expect(html).not.toContain('Ease-of-use evidence');
  });

  it('renders the ease-of-use section only when progress data is given', () => {
    const withProgress = renderClass(classResults, {
      generatedAt: '2025-03-14T10:00:00.000Z',
      progress: {
        bank: {
          attemptsToFirstFullPass: { median: 6, n: 23 },
          workingSpanHours: { median: 11.25 },
          firstFailedProperties: [{ property: `conservation ${XSS}`, students: 19 }],
        },
      },
    });
    expect(withProgress.indexHtml).toContain('Ease-of-use evidence');
    expect(withProgress.indexHtml).toContain('11.25');
    expect(withProgress.indexHtml).toContain('conservation &lt;script&gt;');
  });

  it('grades.csv: header, RFC 4180 quoting, formula guard, CRLF, no BOM, "." decimals', () => {
    const csv = cls.gradesCsv;
    expect(csv.charCodeAt(0)).not.toBe(0xfeff);
    const lines = csv.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe('student,ring,bank,crawler,manual,total,status');
    expect(lines.length - 2).toBe(classResults.length);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")",10,30,20,,60,graded\r\n`);
    expect(csv).toContain(`"d'Artagnan, ""Jr""",10,25,20,,55,graded\r\n`);
    expect(csv).toContain('alice,10,30,20,9,69,graded\r\n');
    expect(csv).toContain('bob,7,5,10,,,awaiting marking\r\n'); // manual item awaiting: manual and total left empty
    expect(renderClass([withFailures], { awaiting: 'partial' }).gradesCsv).toContain('bob,7,5,10,4,26,awaiting marking\r\n');
    expect(csv).not.toMatch(/\n(?!\r?$)[^'"a-z]?[=+\-@]/i); // no line starts a formula
  });

  it('CSV fields: guard and quoting rules', () => {
    expect(guardFormula('=1+1')).toBe("'=1+1");
    expect(guardFormula('+1')).toBe("'+1");
    expect(guardFormula('-1')).toBe("'-1");
    expect(guardFormula('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(guardFormula('\t=1')).toBe("'\t=1");
    expect(guardFormula('a=1')).toBe('a=1');
    expect(csvField(-1.5)).toBe('-1.5'); // numbers we write are not text
    expect(csvField(7.125)).toBe('7.13');
    expect(csvField(1e21 / 1e21)).toBe('1');
    expect(csvField('a "b"')).toBe('"a ""b"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField(null)).toBe('');
    const frac = structuredClone(commaQuote);
    frac.student = 'frac';
    frac.total.score = 54.5;
    expect(renderClass([frac]).gradesCsv).toContain('frac,10,25,20,,54.5,graded\r\n');
  });

  it('student folder names and links stay one path segment inside the class folder', () => {
    for (const id of ['..', '.', 'a/b', '../x', 'x y', formula.student, hostile.student, "o'neil*"]) {
      expect(studentDir(id)).toMatch(/^[A-Za-z0-9._%-]+$/);
      expect(studentDir(id)).not.toMatch(/^\.{1,2}$/);
      const url = new URL(studentHref(id), 'file:///class/index.html');
      expect(url.pathname).toMatch(/^\/class\/students\/[^/]+\/report\.html$/);
    }
    expect(studentDir('alice')).toBe('alice');
    expect(studentHref('alice')).toBe('./students/alice/report.html');
  });
});

describe('charts', () => {
  it('text chart aligns columns like the design example', () => {
    const text = renderChartText(bankChart.slice(1, 5));
    expect(text.split('\n')).toEqual([
      't=1203    teller → acc-3   reserve   {tx: "t-117", amount: 10}',
      't=1205    acc-3  → teller  reserved  {tx: "t-117"}',
      't=1207    teller → acc-5   credit    {tx: "t-117", amount: 10}',
      't=1210  ✂ acc-5  → teller  credited  {tx: "t-117"} (dropped)',
    ]);
    expect(renderChartText([])).toBe('(no messages recorded)');
  });

  it('SVG chart stays readable for 12 lines and 6 participants, and escapes labels', () => {
    const svg = renderChartSvg(bankChart, { id: 'x' });
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    expect(width).toBeLessThanOrEqual(960);
    expect(svg.match(/<g class="row /g)!.length).toBe(12);
    const evil: ChartLine[] = [{ t: 1, kind: 'send', from: XSS, to: 'b', label: XSS, detail: '"\'&' }];
    const out = renderChartSvg(evil, { id: 'e"><script>' });
    expect(out).not.toContain('<script');
    expect(out).not.toMatch(/id="[^"]*[<>][^"]*"/);
  });
});

describe('templates', () => {
  it('never use triple-stash (unescaped) output', () => {
    const dir = new URL('../report/templates/', import.meta.url);
    const files = [
      ...readdirSync(dir)
        .filter((f) => f.endsWith('.hbs'))
        .map((f) => new URL(f, dir)),
      ...readdirSync(new URL('partials/', dir)).map((f) => new URL(`partials/${f}`, dir)),
    ];
    expect(files.length).toBeGreaterThan(4);
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toContain('{{{');
  });
});
