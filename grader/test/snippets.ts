// The TypeScript code blocks of the docs, taken out and type-checked as a student's file would
// be (the grader's compiler options, the pack's runtime and protocols: grader/typecheck.ts).
// A block is a fragment: it may use names the text around it has introduced (`self`, a
// protocol's types). Each doc has a prelude that declares those; a block gets the prelude's
// declarations of every name it does not declare or import itself, and nothing else.
import { join, resolve, sep } from 'node:path';
import ts from 'typescript';
import { typecheckSources, type CheckedDiagnostic } from '../typecheck.ts';

export interface Block {
  /** The doc it comes from, as a reader names it (`exercises/ring/README.md`). */
  readonly doc: string;
  /** Its place among the doc's TypeScript blocks, from 1. */
  readonly index: number;
  /** The doc's line of the block's first line of code, from 1. */
  readonly line: number;
  /** The words after the fence's language (`nocheck`, …). */
  readonly flags: readonly string[];
  readonly code: string;
}

/** Every ```ts / ```typescript block of a Markdown text (indented fences included). */
export function tsBlocks(doc: string, text: string): Block[] {
  const lines = text.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\b(.*)$/.exec(lines[i]!);
    if (!open) {
      // Skip other fenced blocks whole: a ```ts inside a ```md block is not a block of its own.
      const other = /^(\s*)(`{3,}|~{3,})/.exec(lines[i]!);
      if (other) {
        const fence = other[2]!;
        for (i++; i < lines.length && !lines[i]!.trim().startsWith(fence); i++);
      }
      continue;
    }
    const [, indent, fence, , rest] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trim().startsWith(fence!); j++)
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!);
    out.push({ doc, index: out.length + 1, line: i + 2, flags: rest!.trim().split(/\s+/).filter(Boolean), code: body.join('\n') });
    i = j;
  }
  return out;
}

/** The top-level names a piece of code declares or imports. */
function declaredNames(code: string): Set<string> {
  const sf = ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, true);
  const names = new Set<string>();
  const bind = (n: ts.BindingName) => {
    if (ts.isIdentifier(n)) names.add(n.text);
    else for (const e of n.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
  };
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s)) {
      const c = s.importClause;
      if (c?.name) names.add(c.name.text);
      const nb = c?.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) names.add(nb.name.text);
      if (nb && ts.isNamedImports(nb)) for (const e of nb.elements) names.add(e.name.text);
    } else if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) bind(d.name);
    } else if (
      (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) || ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isEnumDeclaration(s)) &&
      s.name
    ) {
      names.add(s.name.text);
    }
  }
  return names;
}

/**
 * The prelude's statements a block needs: all but those declaring a name the block declares.
 * Imports are cut to the names the block does not import itself.
 */
export function preludeFor(prelude: string, block: string): string {
  const mine = declaredNames(block);
  const sf = ts.createSourceFile('prelude.ts', prelude, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s) && s.importClause?.namedBindings && ts.isNamedImports(s.importClause.namedBindings)) {
      const kept = s.importClause.namedBindings.elements.filter((e) => !mine.has(e.name.text)).map((e) => e.getText(sf));
      const typeOnly = s.importClause.isTypeOnly ? 'type ' : '';
      if (kept.length > 0) out.push(`import ${typeOnly}{ ${kept.join(', ')} } from ${s.moduleSpecifier.getText(sf)};`);
      continue;
    }
    const own = declaredNames(s.getText(sf));
    if ([...own].some((n) => mine.has(n))) continue;
    out.push(s.getText(sf));
  }
  return out.join(' '); // one line: the block's line numbers stay the doc's, less one
}

export interface SnippetProblem {
  readonly doc: string;
  readonly index: number;
  /** The doc's line and column. */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * Type-checks each block (those without `nocheck`) as a file of its own, after its prelude
 * (`preludes[doc]`; none if absent), as the grader checks a student's file.
 */
export function checkBlocks(blocks: readonly Block[], preludes: Readonly<Record<string, string>>, kitRoot?: string): SnippetProblem[] {
  const files = new Map<string, { block: Block; text: string }>();
  for (const block of blocks) {
    if (block.flags.includes('nocheck')) continue;
    const slug = block.doc.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
    // Import everything as a module, even a block without an import or export of its own.
    const text = `${preludeFor(preludes[block.doc] ?? '', block.code)} export {};\n${block.code}\n`;
    files.set(`snippets/${slug}/${block.index}.ts`, { block, text });
  }
  const diagnostics: CheckedDiagnostic[] = typecheckSources((f) => files.get(f)?.text, [...files.keys()], kitRoot);
  return diagnostics.map((d) => {
    const { block } = files.get(d.file)!;
    const inBlock = d.line - 2; // the prelude's line
    return {
      doc: block.doc,
      index: block.index,
      line: inBlock < 0 ? block.line : block.line + inBlock,
      column: inBlock < 0 ? 0 : d.column,
      message: `${d.kind} error: ${d.message}`,
    };
  });
}

/** `exercises/ring/README.md:53:7 (block 2)  type error: …` */
export function formatProblem(p: SnippetProblem): string {
  return `${p.doc}:${p.line}:${p.column} (block ${p.index})  ${p.message}`;
}

/**
 * The lecturer's docs: each block checked as a file of the kit (the kit's tsconfig), placed
 * in `places[doc]` (a folder of the kit, default its root) so that its relative imports
 * resolve from there; `extra` adds files that exist only for the check (kit-relative path →
 * text), such as a protocol an example exercise would have.
 */
export function checkKitBlocks(
  blocks: readonly Block[],
  preludes: Readonly<Record<string, string>>,
  kitRoot: string,
  places: Readonly<Record<string, string>> = {},
  extra: Readonly<Record<string, string>> = {},
): SnippetProblem[] {
  const config = ts.readConfigFile(join(kitRoot, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, kitRoot);
  const virtual = new Map<string, string>();
  const owner = new Map<string, Block>();
  for (const [rel, text] of Object.entries(extra)) virtual.set(resolve(kitRoot, rel), text);
  for (const block of blocks) {
    if (block.flags.includes('nocheck')) continue;
    const slug = block.doc.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const file = resolve(kitRoot, places[block.doc] ?? '.', `__snippet-${slug}-${block.index}.ts`);
    virtual.set(file, `${preludeFor(preludes[block.doc] ?? '', block.code)} export {};\n${block.code}\n`);
    owner.set(file, block);
  }
  const base = ts.createCompilerHost(options, true);
  const host: ts.CompilerHost = {
    ...base,
    fileExists: (f) => virtual.has(resolve(f)) || base.fileExists(f),
    directoryExists: (d) => [...virtual.keys()].some((f) => f.startsWith(resolve(d) + sep)) || (base.directoryExists?.(d) ?? ts.sys.directoryExists(d)),
    readFile: (f) => virtual.get(resolve(f)) ?? base.readFile(f),
    getSourceFile: (f, v, onError) => {
      const text = virtual.get(resolve(f));
      return text !== undefined ? ts.createSourceFile(f, text, v, true) : base.getSourceFile(f, v, onError);
    },
  };
  const program = ts.createProgram({ rootNames: [...owner.keys()], options, host });
  const out: SnippetProblem[] = [];
  for (const [file, block] of owner) {
    const sf = program.getSourceFile(file)!;
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const pos = sf.getLineAndCharacterOfPosition(d.start ?? 0);
      const inBlock = pos.line - 1;
      out.push({
        doc: block.doc,
        index: block.index,
        line: inBlock < 0 ? block.line : block.line + inBlock,
        column: inBlock < 0 ? 0 : pos.character + 1,
        message: `error: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
      });
    }
  }
  return out;
}
