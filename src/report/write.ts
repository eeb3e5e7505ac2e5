import { constants } from 'node:fs';
import { access, lstat, mkdir, readdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { InputError } from '../errors.ts';
import { containedPath } from '../util/contained-path.ts';
import { displayPath } from '../util/paths.ts';
import { redactDeep } from '../util/secrets.ts';
import { REPORT_JSON_FILE, reportJson } from './json.ts';
import { JUNIT_FILE, renderJUnit } from './junit.ts';
import { renderMarkdown, SUMMARY_FILE } from './markdown.ts';
import { EVIDENCE_DIR } from '../platform/evidence-sink.ts';
import { SCENARIO_NAMES, type Report } from './model.ts';
import { renderSarif, SARIF_FILE } from './sarif.ts';
import { commentMarker, PR_COMMENT_FILE, renderPrComment } from './pr-comment.ts';
import { RULES } from '../manifests/lint/index.ts';
import { renderTimelineSvg, timelineSvgFile } from './svg.ts';

export interface ReportFiles {
  report: string;
  summary: string;
  junit: string;
  /** The lint findings as SARIF 2.1.0 (code scanning). */
  sarif: string;
  /** The pull request's comment (verdict, base against head, new findings, the rollout). */
  prComment: string;
  svg: string[];
}

/**
 * Checked before anything is deployed, without creating anything: `dir` is a writable directory, or does not
 * exist yet and its nearest existing ancestor is one (writeReports creates it). Otherwise InputError naming
 * report-dir, so a run never deploys, fails over and then loses its reports.
 */
export async function checkReportDir(dir: string): Promise<void> {
  const bad = (why: string) =>
    new InputError(
      `report-dir ${displayPath(dir)}: ${why}; expected a directory this run may write to (it is created if missing)`,
    );
  let probe = resolve(dir);
  for (;;) {
    const info = await stat(probe).catch((caught: unknown) => {
      const err = caught as NodeJS.ErrnoException;
      // ENOTDIR: an ancestor is a file; walking up finds and names it.
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw bad(`cannot be read (${err.code ?? err.message})`);
    });
    if (info) {
      if (!info.isDirectory())
        throw bad(
          probe === resolve(dir) ? 'is a file, not a directory' : `${displayPath(probe)} is a file, not a directory`,
        );
      await access(probe, constants.W_OK).catch(() => {
        throw bad(
          probe === resolve(dir) ? 'is not writable' : `cannot be created: ${displayPath(probe)} is not writable`,
        );
      });
      return;
    }
    const parent = dirname(probe);
    if (parent === probe) return;
    probe = parent;
  }
}

/** The files a run writes into the report dir, whatever its scenarios (one timeline per scenario name). */
const OWN_FILES = [
  REPORT_JSON_FILE,
  SUMMARY_FILE,
  JUNIT_FILE,
  SARIF_FILE,
  PR_COMMENT_FILE,
  ...SCENARIO_NAMES.map((name) => timelineSvgFile({ name })),
];

/**
 * Removes what an earlier run wrote into `dir`, so a report never ships beside another run's files (a stale
 * SVG next to a later error run's report): the fixed report files, and the evidence files the earlier
 * report.json lists. Nothing else: a user's own files in the directory, evidence/ included, stay.
 */
export async function clearReportDir(dir: string): Promise<void> {
  // A symlinked evidence/ (a checked-out repository can hold one) leads elsewhere: nothing there is this run's.
  const evidence = join(dir, EVIDENCE_DIR);
  if ((await lstat(evidence).catch(() => undefined))?.isDirectory()) {
    const earlier = await readFile(join(dir, REPORT_JSON_FILE), 'utf8').then(listedEvidence, () => []);
    for (const listed of earlier) {
      const path = normalize(join(dir, listed));
      // A listed path outside evidence/ (a hand-edited or hostile report.json), or one that a symlink inside it
      // leads out of report-dir, is not this tool's to remove.
      if (path.startsWith(evidence + sep) && isContained(dir, path)) await rm(path, { recursive: true, force: true });
    }
    await removeEmptyDirs(evidence);
  }
  // A directory where a report file goes is left for writeReports to refuse, naming it.
  for (const name of OWN_FILES) await rm(join(dir, name), { force: true }).catch(() => undefined);
}

/** `path` stays inside `dir` once its parents' symlinks are followed (rm removes a symlink, not its target). */
function isContained(dir: string, path: string): boolean {
  try {
    containedPath(dir, path, { leaf: 'nofollow' });
    return true;
  } catch {
    return false;
  }
}

/** The evidence paths an earlier report.json of this tool lists; none for anything else. */
function listedEvidence(text: string): string[] {
  try {
    const json = JSON.parse(text) as Partial<Report>;
    if (json.tool?.name !== 'redis-cluster-resilience' || !Array.isArray(json.evidence)) return [];
    return json.evidence.filter((p): p is string => typeof p === 'string');
  } catch {
    return [];
  }
}

/** Removes `dir` and its subfolders when they hold no file (the evidence folders emptied above). */
async function removeEmptyDirs(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return;
  for (const e of entries) if (e.isDirectory()) await removeEmptyDirs(join(dir, e.name));
  await rmdir(dir).catch(() => undefined); // ENOTEMPTY: something of the user's is still there
}

/** Write report.json, summary.md, junit.xml, lint.sarif, pr-comment.md and one timeline SVG per scenario into dir (created if missing). */
export async function writeReports(
  unredacted: Report,
  dir: string,
  /** pr-comment.md: its marker (one per job) and where it says the full report is; default: this dir's report. */
  comment: { marker?: string; reportWhere?: string } = {},
): Promise<ReportFiles> {
  const report = redactDeep(unredacted);
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    report: join(dir, REPORT_JSON_FILE),
    summary: join(dir, SUMMARY_FILE),
    junit: join(dir, JUNIT_FILE),
    sarif: join(dir, SARIF_FILE),
    prComment: join(dir, PR_COMMENT_FILE),
    svg: report.scenarios.map((s) => join(dir, timelineSvgFile(s))),
  };
  await Promise.all([
    writeFile(files.report, reportJson(report)),
    writeFile(files.summary, renderMarkdown(report)),
    writeFile(files.junit, renderJUnit(report)),
    writeFile(files.sarif, renderSarif(report.lint, { version: report.tool.version, rules: RULES })),
    writeFile(
      files.prComment,
      renderPrComment(report, {
        marker: comment.marker ?? commentMarker('check'),
        reportWhere: comment.reportWhere ?? files.report,
      }),
    ),
    ...report.scenarios.map((s, i) => writeFile(files.svg[i]!, renderTimelineSvg(s))),
  ]);
  return files;
}
