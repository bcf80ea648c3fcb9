// Validates GitHub workflow files against GitHub's own schema, in a process of its own:
//   node --import tsx grader/test/validate-workflows.ts FILE...
// prints {"FILE": ["error", …], …}. (@actions/workflow-parser imports its schema as JSON
// without an import attribute, which Node's own loader refuses and tsx's accepts; vitest
// would hand the package to Node's loader.)
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';

const report: Record<string, string[]> = {};
for (const file of process.argv.slice(2)) {
  const parsed = parseWorkflow({ name: basename(file), content: readFileSync(file, 'utf8') }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    for (const e of template.errors ?? []) if (!errors.includes(e.Message)) errors.push(e.Message);
  }
  report[file] = errors;
}
console.log(JSON.stringify(report));
