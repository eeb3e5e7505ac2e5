/** A Markdown table read back: header cells and rows of cells, unescaped to the text they show. */
export interface Table {
  header: string[];
  rows: string[][];
}

function unescapeCell(raw: string): string {
  return raw.trim().replace(/<br>/g, '\n').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Split a table row on its delimiter pipes; a backslash escapes the next character (GFM). */
export function splitRow(line: string): string[] {
  const cells: string[] = [];
  let current = '';
  for (let i = 1; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && i + 1 < line.length) current += line[++i]!;
    else if (ch === '|') {
      cells.push(unescapeCell(current));
      current = '';
    } else current += ch;
  }
  return cells;
}

/**
 * Every table in a Markdown document, keyed by the headings above it joined with ' / '
 * (e.g. "master-failover: FAIL / Checks"). Only ### and #### headings count.
 */
export function tablesByHeading(markdown: string): Map<string, Table> {
  const lines = markdown.split('\n');
  const tables = new Map<string, Table>();
  let h3 = '';
  let h4 = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('### ')) [h3, h4] = [line.slice(4), ''];
    else if (line.startsWith('#### ')) h4 = line.slice(5);
    else if (line.startsWith('|') && /^\|(---\|)+$/.test(lines[i + 1] ?? '')) {
      const table: Table = { header: splitRow(line), rows: [] };
      for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) table.rows.push(splitRow(lines[i]!));
      tables.set([h3, h4].filter(Boolean).join(' / '), table);
    }
  }
  return tables;
}

/** Rows as objects keyed by header. */
export function records(table: Table): Array<Record<string, string>> {
  return table.rows.map((r) => Object.fromEntries(table.header.map((h, i) => [h, r[i] ?? ''])));
}
