/** Report rendering: student feedback (HTML, Markdown), Gradescope JSON, class dashboard, CSV. */
export { renderStudentReport, type StudentReport } from './student.ts';
export { renderGradescope } from './gradescope.ts';
export { renderClass, type ClassOptions, type ClassRun, type ClassReport } from './classroom.ts';
export type { ExerciseProgress } from '../progress-log/summary.ts';
export { STUDENTS, studentDir, studentFolder, studentHref } from '../class-folder.ts';
export { computeSummary, histogram } from './summary.ts';
export { renderGradesCsv, csvField, guardFormula, toCsv, type AwaitingPolicy } from './csv.ts';
export { renderChartText } from './chart-text.ts';
export { renderChartSvg } from './chart-svg.ts';
export { renderHistogramSvg } from './histogram-svg.ts';
