import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goTabwriter, padRight, runeCount } from '../../../src/token/index.js';

// Expected outputs are derived by hand from Go's text/tabwriter algorithm (format/writeLines).
const KUBEADM = { minwidth: 10, tabwidth: 4, padding: 3, padchar: ' ' };
const DOTS = { minwidth: 0, tabwidth: 8, padding: 1, padchar: '.' };

test('columns take the widest cell plus padding, at least minwidth', () => {
  assert.equal(goTabwriter('a\tbb\tc\naaaa\tb\tc\n', { ...KUBEADM, minwidth: 0 }), 'a      bb   c\naaaa   b    c\n');
  assert.equal(goTabwriter('a\tb\n', KUBEADM), 'a         b\n');
  assert.equal(goTabwriter('abcdefghij\tb\n', KUBEADM), 'abcdefghij   b\n');
});

test('the last cell of a line is not part of a column', () => {
  assert.equal(goTabwriter('a\tlong last cell\nbbb\tc\n', DOTS), 'a...long last cell\nbbb.c\n');
});

test('ragged lines: column blocks are runs of consecutive lines with a cell in that column', () => {
  // Go's package doc example: b and c are in distinct blocks of column 1
  const text = 'aaaa\tbbb\td\naa\tb\tdd\na\t\naa\tcccc\teee\n';
  assert.equal(goTabwriter(text, DOTS), 'aaaa.bbb.d\naa...b...dd\na....\naa...cccc.eee\n');
  assert.equal(goTabwriter('a\tb\tc\naaa\t\nx\tyyyy\tz\n\tb\t', DOTS), 'a...b.c\naaa.\nx...yyyy.z\n....b');
});

test('a line without tabs ends every block (Go flushes there)', () => {
  assert.equal(goTabwriter('a\tb\nplain\nccc\td\n', DOTS), 'a.b\nplain\nccc.d\n');
});

test('a form feed ends all blocks and is written as a newline', () => {
  assert.equal(goTabwriter('a\tb\n\fccc\td\n', DOTS), 'a.b\n\nccc.d\n');
  assert.equal(goTabwriter('a\tb\fccc\td\n', DOTS), 'a.b\nccc.d\n');
});

test('text without a final newline; a trailing tab with nothing after it is not a column', () => {
  assert.equal(goTabwriter('a\tb', DOTS), 'a.b');
  assert.equal(goTabwriter('a\t', DOTS), 'a');
  assert.equal(goTabwriter('', DOTS), '');
  assert.equal(goTabwriter('xyz', DOTS), 'xyz');
});

test('width counts code points, not UTF-16 units', () => {
  assert.equal(goTabwriter('é😀\tb\nx\tb\n', DOTS), 'é😀.b\nx..b\n');
  assert.equal(runeCount('é😀'), 2);
  assert.equal(padRight('😀', 3), '😀  ');
});

test('empty cells are padded; vertical tabs are soft and DiscardEmptyColumns drops them', () => {
  assert.equal(goTabwriter('\ta\n\tb\n', { ...DOTS, minwidth: 2 }), '..a\n..b\n');
  assert.equal(goTabwriter('\va\n\vb\n', { ...DOTS, minwidth: 2, discardEmptyColumns: true }), 'a\nb\n');
  assert.equal(goTabwriter('\ta\n\tb\n', { ...DOTS, minwidth: 2, discardEmptyColumns: true }), '..a\n..b\n');
});

test('alignRight, tab padding, tabIndent and debug flags', () => {
  assert.equal(goTabwriter('a\tx\nbbb\tx\n', { ...DOTS, alignRight: true }), '...ax\n.bbbx\n');
  // tab padding: cell width rounded up to a multiple of tabwidth, filled with tabs
  assert.equal(goTabwriter('a\tx\nbbbbbbbbb\tx\n', { minwidth: 0, tabwidth: 8, padding: 1, padchar: '\t' }), 'a\t\tx\nbbbbbbbbb\tx\n');
  assert.equal(goTabwriter('\tx\n\ty\n', { ...DOTS, minwidth: 4, tabIndent: true }), '\tx\n\ty\n');
  assert.equal(goTabwriter('a\tb\tc\n', { ...DOTS, debug: true }), 'a.|b.|c\n');
});
