/**
 * The per-student feedback report, as self-contained HTML (inline CSS and SVG, no scripts, no
 * external assets) and as Markdown, both from Handlebars templates in `templates/`.
 */
import type { Result } from '../result.ts';
import { buildStudentView, type StudentView } from './student-view.ts';
import { safe, template } from './templates.ts';
import { mdCode, mdFence, mdLines, mdText } from './text.ts';

export interface StudentReport {
  html: string;
  md: string;
}

export function renderStudentReport(result: Result): StudentReport {
  const view = buildStudentView(result);
  return { html: renderHtml(view), md: renderMarkdown(view) };
}

function renderHtml(view: StudentView): string {
  // The SVG charts are the only markup passed through; they are escaped where they are built.
  const model = {
    ...view,
    exercises: view.exercises.map((ex) => ({
      ...ex,
      groups: ex.groups.map((g) => ({
        ...g,
        tests: g.tests.map((t) => (t.failure ? { ...t, failure: { ...t.failure, chartSvg: safe(t.failure.chartSvg) } } : t)),
      })),
    })),
  };
  return template('report.html.hbs')(model);
}

/**
 * How each field of the view is escaped for Markdown; any other string is one line of text.
 * Values become SafeStrings so that Handlebars does not HTML-escape them a second time; a field
 * forgotten here still gets the default (safe) treatment.
 */
const MD_FIELDS: Record<string, ((s: string) => string) | null> = {
  observed: mdLines,
  message: mdLines,
  reason: mdLines,
  comment: mdLines,
  replay: mdCode,
  submission: mdCode,
  chartText: (s) => mdFence(s, 'text'),
  diagnosticsText: (s) => mdFence(s, 'text'),
  chartSvg: null, // not used in Markdown
};

function toMarkdownModel(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    const esc = key in MD_FIELDS ? MD_FIELDS[key] : mdText;
    if (esc === null) return '';
    return value === '' ? '' : safe(esc!(value));
  }
  if (Array.isArray(value)) return value.map((v) => toMarkdownModel(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toMarkdownModel(v, k)]));
  }
  return value;
}

function renderMarkdown(view: StudentView): string {
  const md = template('report.md.hbs')(toMarkdownModel(view));
  // Templates leave blank-line runs where optional blocks were skipped.
  return `${md.replace(/\n(?:[ \t]*\n){2,}/g, '\n\n').trim()}\n`;
}
