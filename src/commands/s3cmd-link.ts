// --install-s3cmd-link DIR: DIR/s3cmd as a symbolic link to this s3k, so that scripts that call s3cmd
// run s3k. Opt-in, and never silently over a real s3cmd: not over a file already in DIR, and not when
// another s3cmd on PATH would hide the link or be hidden by it, unless --force says so.
import fs from 'node:fs';
import path from 'node:path';
import { CliError, EX, ParameterError } from '../cli/exit-codes.ts';
import { result, warning } from '../cli/output.ts';

/** The file this s3k runs from: the single executable itself, or the script node was given. */
async function self(): Promise<string> {
  try {
    const sea = await import('node:sea');
    if (sea.isSea()) return process.execPath;
  } catch {
    // node:sea is missing before Node 20.12: not a single executable then
  }
  return path.resolve(process.argv[1] ?? process.execPath);
}

const real = (p: string): string | undefined => {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
};

function isExecutableFile(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export async function cmdInstallS3cmdLink(dirArg: string, force: boolean, env: NodeJS.ProcessEnv): Promise<number> {
  if (!dirArg) throw new ParameterError('--install-s3cmd-link needs a directory, e.g. --install-s3cmd-link ~/.local/bin');
  const dir = path.resolve(dirArg);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new ParameterError(`${dir}: no such directory`);
  const target = await self();
  const s3k = real(target);
  const link = path.join(dir, 's3cmd');
  const isS3k = (p: string) => s3k !== undefined && real(p) === s3k;

  const existing = fs.lstatSync(link, { throwIfNoEntry: false });
  if (existing && isS3k(link)) {
    result(`${link} already runs s3k (${target})`);
    return EX.OK;
  }
  if (existing && !force)
    throw new CliError(`${link} exists and is not s3k; remove it, pick another directory, or add --force to replace it`, EX.USAGE);

  // Every other s3cmd on PATH (once per file: /bin is /usr/bin on most systems): the link would hide
  // the ones after DIR, and the ones before DIR would hide it.
  const pathDirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.resolve(d));
  const at = pathDirs.findIndex((d) => real(d) === real(dir));
  const others: { file: string; before: boolean }[] = [];
  pathDirs.forEach((d, i) => {
    const file = path.join(d, 's3cmd');
    if (real(d) !== real(dir) && isExecutableFile(file) && !isS3k(file) && !others.some((o) => real(o.file) === real(file))) others.push({ file, before: at < 0 || i < at });
  });
  const describe = (o: { file: string; before: boolean }) => (at < 0 ? o.file : o.before ? `${o.file} (it would hide the link)` : `${o.file} (the link would hide it)`);
  if (others.length && !force)
    throw new CliError(`another s3cmd is on PATH: ${others.map(describe).join(', ')}; add --force to make ${link} anyway`, EX.USAGE);

  if (existing) fs.unlinkSync(link);
  fs.symlinkSync(target, link);
  result(`${link} -> ${target}`);
  for (const o of others) warning(`another s3cmd is on PATH: ${describe(o)}`);
  if (at < 0) warning(`${dir} is not on PATH: call ${link} by its path, or add ${dir} to PATH`);
  return EX.OK;
}
