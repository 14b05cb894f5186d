/**
 * What the bucket says about recent runs, read the same way from the local bucket folder and from S3: the run
 * manifests (written last, so each one is a finished extract) and the transform commit records (written last by
 * the Glue job, so each one is a visible transform) of the last days. Keys are listed from a start key derived
 * from the window (`raw/extract_date=<day>/`), so a year of hourly polls is never listed whole.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { BUCKET_PREFIXES } from '../../schemas/raw-documents';
import { extractDatePrefix, parseManifestKey, type RunManifest } from '../../handlers/shared/manifest';

/** A read-only view of a bucket: keys under a prefix (sorted, from a start key on) and an object's text. */
export interface BucketListing {
  keys(prefix: string, startAfter?: string): AsyncIterable<string>;
  text(key: string): Promise<string>;
  describe(): string;
}

export class LocalBucketListing implements BucketListing {
  constructor(private readonly root: string) {}

  async *keys(prefix: string, startAfter = ''): AsyncIterable<string> {
    const all: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else all.push(relative(this.root, path).split(sep).join('/'));
      }
    };
    // Walk from the deepest folder the prefix names (a prefix may end inside a folder name).
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    await walk(join(this.root, ...folder.split('/').filter(Boolean)));
    yield* all.filter((key) => key.startsWith(prefix) && key > startAfter).sort();
  }

  async text(key: string): Promise<string> {
    return readFile(join(this.root, ...key.split('/')), 'utf8');
  }

  describe(): string {
    return this.root;
  }
}

export class S3BucketListing implements BucketListing {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async *keys(prefix: string, startAfter?: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, StartAfter: token ? undefined : startAfter, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async text(key: string): Promise<string> {
    const answer = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return answer.Body!.transformToString();
  }

  describe(): string {
    return `s3://${this.bucket}`;
  }
}

export interface RecentRuns {
  /** Manifests of runs extracted in the window, oldest first. Unreadable ones are named in `unreadable`. */
  manifests: RunManifest[];
  unreadable: Array<{ key: string; error: string }>;
  /** Run id -> an attempt of it that committed (the commit record's folder names the attempt). */
  committedRuns: Map<string, string>;
}

/** The first extract date of a window of `days` ending at `now` (UTC). */
export function windowStart(now: Date, days: number): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
}

const COMMIT_FOLDER = /^processed\/transform_commits\/extract_date=(\d{4}-\d{2}-\d{2})\/run_id=([^/]+)\/attempt_id=([^/]+)\//;

export async function readRecentRuns(bucket: BucketListing, since: string): Promise<RecentRuns> {
  const manifests: RunManifest[] = [];
  const unreadable: RecentRuns['unreadable'] = [];
  // extract_date=<since>/ sorts after every earlier date: list from just before it.
  const rawFrom = extractDatePrefix(since);
  for await (const key of bucket.keys(BUCKET_PREFIXES.raw, rawFrom.slice(0, -1))) {
    if (!parseManifestKey(key)) continue;
    try {
      manifests.push(JSON.parse(await bucket.text(key)) as RunManifest);
    } catch (error) {
      unreadable.push({ key, error: (error as Error).message });
    }
  }
  manifests.sort((a, b) => a.started_at.localeCompare(b.started_at));
  const committedRuns = new Map<string, string>();
  const commitsPrefix = `${BUCKET_PREFIXES.processed}transform_commits/`;
  for await (const key of bucket.keys(commitsPrefix, `${commitsPrefix}extract_date=${since}`.slice(0, -1))) {
    const match = COMMIT_FOLDER.exec(key);
    if (!match) continue;
    committedRuns.set(match[2], match[3]);
  }
  return { manifests, unreadable, committedRuns };
}
