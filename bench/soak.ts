/**
 * `npm run soak [-- --weeks N]`: a simulated year of the local pipeline on the fake Spotify's clock (bench/soak/).
 * Ends with one line: `soak: <W> weeks, <P> plays reachable, <S> stored, <L> lost, <G> beyond reach during
 * outages, <A> alerts raised of <E> expected`, and exits 1 when a play was lost or the alerts differ.
 */
import { Command } from 'commander';
import { alertDifferences, runSoak, soakLine } from './soak/run-soak';

async function main(): Promise<void> {
  const options = new Command()
    .option('--weeks <n>', 'simulated weeks', '52')
    .parse(process.argv)
    .opts<{ weeks: string }>();
  const weeks = Number(options.weeks);
  if (!(Number.isInteger(weeks) && weeks >= 4 && weeks <= 104)) throw new Error(`--weeks must be a whole number from 4 to 104 (got "${options.weeks}")`);
  const started = Date.now();
  const result = await runSoak({ weeks });
  const { missed, unexpected } = alertDifferences(result);
  process.stdout.write(
    `runs: ${result.runs.finished} finished, ${result.runs.failed} failed after Lambda's retries; bucket ${result.bucketDir}\n` +
      `alerts raised: ${result.alertsRaised.join(', ') || 'none'}\n` +
      (missed.length > 0 ? `alerts MISSED: ${missed.join(', ')}\n` : '') +
      (unexpected.length > 0 ? `alerts not expected: ${unexpected.join(', ')}\n` : '') +
      `${Math.round((Date.now() - started) / 1000)} s\n` +
      `${soakLine(result)}\n`,
  );
  if (result.lost > 0 || missed.length > 0 || unexpected.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`soak failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
