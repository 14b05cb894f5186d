#!/usr/bin/env node
/**
 * `pipeline`: the project's command line. The local run, the one-time Spotify authorisation and the
 * warehouse operations all hang off this one program; each command lives in cli/commands/<name>.ts and
 * exports `register(program)`.
 */
import { Command } from 'commander';

const program = new Command()
  .name('pipeline')
  .description('Spotify data pipeline: run it locally end to end, authorise Spotify, query the warehouse.')
  .option('-e, --env <name|file>', 'configuration: local, dev, prod, or a JSON file path', process.env.PIPELINE_ENV ?? 'local')
  .showHelpAfterError();

// Each command module registers itself; keep this list in the order `--help` should show.
const commandModules: Array<() => { register(program: Command): void }> = [
  () => require('./commands/run'),
  () => require('./commands/extract'),
  () => require('./commands/authorize'),
  () => require('./commands/import'),
  () => require('./commands/transform'),
  () => require('./commands/load'),
  () => require('./commands/check'),
  () => require('./commands/fake-spotify'),
  () => require('./commands/query'),
  () => require('./commands/status'),
  () => require('./commands/dashboard'),
  () => require('./commands/deploy'),
];

for (const load of commandModules) load().register(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`\nerror: ${message}\n`);
  process.exitCode = 1;
});
