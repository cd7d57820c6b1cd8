/**
 * Go's text/tabwriter (elastic tabstops), which kubeadm and kubectl use for every table they print.
 * `goTabwriter(text, options)` returns what `tabwriter.NewWriter(out, minwidth, tabwidth, padding,
 * padchar, flags)` writes for `Write(text)` followed by `Flush()`:
 * cells are terminated by `\t` (or the soft `\v`), lines by `\n` or `\f`; a line's last cell is not part
 * of any column; a column block is a run of consecutive lines that have a cell in that column, and its
 * width is max(minwidth, widest cell + padding) counted in Unicode code points. `\f` ends all blocks
 * and is written as `\n`. Go's Escape byte (0xff) cannot occur in a JavaScript string's UTF-8, and the
 * FilterHTML/StripEscape flags are not offered.
 */
import { JoineryError } from '../errors/index.js';

export interface GoTabwriterOptions {
  minwidth: number;
  tabwidth: number;
  padding: number;
  /** One character; `\t` pads with tabs (and forces left alignment) as in Go. */
  padchar: string;
  alignRight?: boolean;
  discardEmptyColumns?: boolean;
  tabIndent?: boolean;
  /** Go's Debug flag: `|` between columns and `---` after a `\f`. */
  debug?: boolean;
}

interface Cell {
  text: string;
  width: number;
  htab: boolean;
}

/** Number of runes Go's utf8.RuneCount gives for the UTF-8 encoding of `s`. */
export function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Go's fmt `%-Ns`: pads `s` with spaces on the right to `width` runes. */
export function padRight(s: string, width: number): string {
  const n = runeCount(s);
  return n >= width ? s : s + ' '.repeat(width - n);
}

/** Formats `text` exactly as Go's text/tabwriter does with one Write and one Flush. */
export function goTabwriter(text: string, options: GoTabwriterOptions): string {
  const { minwidth, tabwidth, padding } = options;
  if (minwidth < 0 || tabwidth < 0 || padding < 0) {
    throw new JoineryError('TABWRITER_OPTIONS_INVALID', 'negative minwidth, tabwidth, or padding', 'pass widths of 0 or more', { family: 'internal' });
  }
  const padchar = options.padchar;
  const tabPadding = padchar === '\t';
  const alignRight = (options.alignRight ?? false) && !tabPadding;
  let out = '';

  let lines: Cell[][] = [[]];
  let cellText = '';
  let widths: number[] = [];

  const writePadding = (textw: number, cellw: number, useTabs: boolean): void => {
    if (tabPadding || useTabs) {
      if (tabwidth === 0) return;
      const rounded = Math.ceil(cellw / tabwidth) * tabwidth;
      out += '\t'.repeat(Math.ceil((rounded - textw) / tabwidth));
      return;
    }
    out += padchar.repeat(cellw - textw);
  };

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i] ?? [];
      let useTabs = options.tabIndent ?? false;
      line.forEach((c, j) => {
        if (j > 0 && options.debug) out += '|';
        const w = widths[j];
        if (c.text === '') {
          if (w !== undefined) writePadding(c.width, w, useTabs);
        } else {
          useTabs = false;
          if (!alignRight) {
            out += c.text;
            if (w !== undefined) writePadding(c.width, w, false);
          } else {
            if (w !== undefined) writePadding(c.width, w, false);
            out += c.text;
          }
        }
      });
      // the last buffered line has no newline: Go writes the pending (unterminated) cell text instead
      out += i + 1 === lines.length ? cellText : '\n';
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let current = line0; current < line1; current++) {
      if (column >= (lines[current]?.length ?? 0) - 1) continue;
      writeLines(line0, current);
      line0 = current;
      let width = minwidth;
      let discardable = true;
      for (; current < line1; current++) {
        const line = lines[current] ?? [];
        if (column >= line.length - 1) break;
        const c = line[column] as Cell;
        width = Math.max(width, c.width + padding);
        if (c.width > 0 || c.htab) discardable = false;
      }
      if (discardable && options.discardEmptyColumns) width = 0;
      widths.push(width);
      format(line0, current);
      widths.pop();
      line0 = current;
    }
    writeLines(line0, line1);
  };

  const terminateCell = (htab: boolean): number => {
    const line = lines[lines.length - 1] as Cell[];
    line.push({ text: cellText, width: runeCount(cellText), htab });
    cellText = '';
    return line.length;
  };

  const flush = (): void => {
    if (cellText !== '') terminateCell(false);
    format(0, lines.length);
    lines = [[]];
    cellText = '';
    widths = [];
  };

  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== '\t' && ch !== '\v' && ch !== '\n' && ch !== '\f') continue;
    cellText += text.slice(start, i);
    start = i + 1;
    const ncells = terminateCell(ch === '\t');
    if (ch === '\n' || ch === '\f') {
      lines.push([]);
      if (ch === '\f' || ncells === 1) {
        flush();
        if (ch === '\f' && options.debug) out += '---\n';
      }
    }
  }
  cellText += text.slice(start);
  flush();
  return out;
}
