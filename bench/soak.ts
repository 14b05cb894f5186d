/**
 * `npm run soak [-- --weeks N]`: a simulated year of the local pipeline on the fake Spotify's clock (bench/soak/).
 * Ends with one line: `soak: <W> weeks, <P> plays reachable, <S> stored, <L> lost, <G> beyond reach during
 * outages, <A> alerts raised of <E> expected`, and exits 1 when a play was lost or the alerts differ.
 */
import { Command } from 'commander';
import { alertDifferences, runSoak, sampleLine, soakLine } from './soak/run-soak';

async function main(): Promise<void> {
  const options = new Command()
    .option('--weeks <n>', 'simulated weeks', '52')
    .option('--no-warehouse', 'skip the sample through the Glue job and the warehouse (Spark)')
    .parse(process.argv)
    .opts<{ weeks: string; warehouse: boolean }>();
  const weeks = Number(options.weeks);
  if (!(Number.isInteger(weeks) && weeks >= 6 && weeks <= 104)) throw new Error(`--weeks must be a whole number from 6 to 104 (a shorter run cannot fit a warning before the middle-of-run expiry) (got "${options.weeks}")`);
  const started = Date.now();
  const result = await runSoak({ weeks, warehouse: options.warehouse });
  const { missed, unexpected } = alertDifferences(result);
  process.stdout.write(
    `runs: ${result.runs.finished} finished, ${result.runs.failed} failed after Lambda's retries; bucket ${result.bucketDir}\n` +
      `alerts raised: ${result.alertsRaised.join(', ') || 'none'}\n` +
      (missed.length > 0 ? `alerts MISSED: ${missed.join(', ')}\n` : '') +
      (result.unexplainedBeyondReach > 0 ? `beyond reach OUTSIDE the outage and the dead token: ${result.unexplainedBeyondReach}\n` : '') +
      (unexpected.length > 0 ? `alerts not expected: ${unexpected.join(', ')}\n` : '') +
      (result.sample ? `${sampleLine(result.sample)}\n` : '') +
      `${Math.round((Date.now() - started) / 1000)} s\n` +
      `${soakLine(result)}\n`,
  );
  const sampleBad = result.sample !== null && (result.sample.duplicates > 0 || result.sample.missing > 0 || !result.sample.killedMidWrite);
  if (result.lost > 0 || result.unexplainedBeyondReach > 0 || missed.length > 0 || unexpected.length > 0 || sampleBad) process.exitCode = 1;
}

main().catch((error) => {
  process.stderr.write(`soak failed: ${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
