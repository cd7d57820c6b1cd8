/**
 * The joinery command line. Only commander is imported at start-up; each command's module (and with
 * it the core it needs) is imported when that command runs, so `joinery token generate` does not pay
 * for the kubeadm config API or the YAML library. One file per command in this folder.
 */
import { Command, CommanderError, Option } from 'commander';
import { processIo, reportError, type Io } from './report.js';
import { outputFormat, type OutputFormat } from './output.js';

/** Kept equal to package.json's version by a unit test. */
export const VERSION = '0.1.0';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format: text, json or yaml').default('text').argParser(outputFormat);
}

/** Builds the command tree; actions write through `io` and set `exit.code`. */
export function program(io: Io, exit: { code: number }): Command {
  const run = (action: () => Promise<number>) => async () => {
    try {
      exit.code = await action();
    } catch (err) {
      exit.code = reportError(err, io);
    }
  };

  const root = new Command('joinery')
    .description('Turns machines into Kubernetes nodes: bootstrap tokens, CA pins and kubeadm join configuration.')
    .version(VERSION, '--version', 'print the joinery version')
    .helpOption('-h, --help', 'show help for a command')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  const token = root
    .command('token')
    .description('manage bootstrap tokens (drop-in for `kubeadm token`)')
    .helpOption('-h, --help', 'show help for a command');
  token
    .command('generate')
    .description('print a fresh random bootstrap token ([a-z0-9]{6}.[a-z0-9]{16}); nothing is sent anywhere')
    .helpOption('-h, --help', 'show help for a command')
    .action(
      run(async () => {
        const { tokenGenerate } = await import('./token-generate.js');
        return tokenGenerate(io);
      }),
    );

  root
    .command('ca-hash')
    .description('print the pin of each CA certificate (sha256:<hex> of its public key), as --discovery-token-ca-cert-hash takes it')
    .helpOption('-h, --help', 'show help for a command')
    .addOption(new Option('--cert <file>', 'PEM file with one or more CA certificates (repeatable)').argParser(collect).default([]))
    .addOption(outputOption())
    .action((opts: { cert: string[]; output: OutputFormat }) =>
      run(async () => {
        const { caHash } = await import('./ca-hash.js');
        return caHash({ certFiles: opts.cert, output: opts.output }, io);
      })(),
    );

  return root;
}

/** Runs the CLI with `argv` (process.argv shape) and exits with the command's status. */
export async function main(argv: string[], io: Io = processIo): Promise<void> {
  process.exitCode = await runCli(argv, io);
}

/** Runs the CLI and returns its exit status (for tests and `main`). */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const exit = { code: 0 };
  const root = program(io, exit);
  try {
    await root.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 64;
    }
    return reportError(err, io);
  }
  return exit.code;
}
