// Result lines that keep their tabs: s3cmd separates the columns of multipart, listmp and gettagging
// with tabs and indents getlifecycle's XML with them. Other control characters (a newline inside a
// key) are still shown as ^X so one result stays one line.
import { flushOutput, getVerbosity } from '../cli/output.ts';

// eslint-disable-next-line no-control-regex
const CONTROL_BUT_TAB = /[\x00-\x08\x0a-\x1f\x7f]/g;

export function outputKeepTabs(line: string): void {
  if (getVerbosity() === 'quiet') return;
  flushOutput(); // after the lines output() is still gathering
  process.stdout.write(line.replace(CONTROL_BUT_TAB, (c) => (c === '\x7f' ? '^?' : '^' + String.fromCharCode(c.charCodeAt(0) + 64))) + '\n');
}

/** A multi-line text block (pretty XML): each line printed with its tabs. */
export function outputBlock(text: string): void {
  for (const line of text.split('\n')) outputKeepTabs(line);
}
