import { constants } from 'node:fs';
import { access, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../errors.ts';
import { displayPath } from '../util/paths.ts';
import { redactDeep } from '../util/secrets.ts';
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

/**
 * Checked before anything is deployed, without creating anything: `dir` is a writable directory, or does not
 * exist yet and its nearest existing ancestor is one (writeReports creates it). Otherwise InputError naming
 * report-dir, so a run never deploys, fails over and then loses its reports.
 */
export async function checkReportDir(dir: string): Promise<void> {
  const bad = (why: string) => new InputError(`report-dir ${displayPath(dir)}: ${why}; expected a directory this run may write to (it is created if missing)`);
  let probe = resolve(dir);
  for (;;) {
    const info = await stat(probe).catch((err: NodeJS.ErrnoException) => {
      // ENOTDIR: an ancestor is a file; walking up finds and names it.
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw bad(`cannot be read (${err.code ?? err.message})`);
    });
    if (info) {
      if (!info.isDirectory()) throw bad(probe === resolve(dir) ? 'is a file, not a directory' : `${displayPath(probe)} is a file, not a directory`);
      await access(probe, constants.W_OK).catch(() => {
        throw bad(probe === resolve(dir) ? 'is not writable' : `cannot be created: ${displayPath(probe)} is not writable`);
      });
      return;
    }
    const parent = dirname(probe);
    if (parent === probe) return;
    probe = parent;
  }
}

/** Write report.json, summary.md, junit.xml and one timeline SVG per scenario into dir (created if missing). */
export async function writeReports(unredacted: Report, dir: string): Promise<ReportFiles> {
  const report = redactDeep(unredacted);
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
