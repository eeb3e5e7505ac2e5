import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPORT_JSON_FILE, reportJson } from './json.ts';
import { JUNIT_FILE, renderJUnit } from './junit.ts';
import { renderMarkdown, SUMMARY_FILE } from './markdown.ts';
import type { Report } from './model.ts';
import { renderTimelineSvg, timelineSvgFile } from './svg.ts';

export interface ReportFiles {
  report: string;
  summary: string;
  junit: string;
  svg: string[];
}

/** Write report.json, summary.md, junit.xml and one timeline SVG per scenario into dir (created if missing). */
export async function writeReports(report: Report, dir: string): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    report: join(dir, REPORT_JSON_FILE),
    summary: join(dir, SUMMARY_FILE),
    junit: join(dir, JUNIT_FILE),
    svg: report.scenarios.map((s) => join(dir, timelineSvgFile(s))),
  };
  await Promise.all([
    writeFile(files.report, reportJson(report)),
    writeFile(files.summary, renderMarkdown(report)),
    writeFile(files.junit, renderJUnit(report)),
    ...report.scenarios.map((s, i) => writeFile(files.svg[i]!, renderTimelineSvg(s))),
  ]);
  return files;
}
