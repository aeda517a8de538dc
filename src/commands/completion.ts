// completion bash|zsh: print the shell completion script (cli/completion.ts makes it from the tables).
import { completionScript, SHELLS, type Shell } from '../cli/completion.ts';
import { EX, ParameterError } from '../cli/exit-codes.ts';

export async function cmdCompletion(args: string[], version: string): Promise<number> {
  const shell = args[0] as Shell;
  if (!SHELLS.includes(shell)) throw new ParameterError(`completion: unknown shell '${args[0]}'; s3k has completion for ${SHELLS.join(' and ')}`);
  process.stdout.write(completionScript(shell, version));
  return EX.OK;
}
