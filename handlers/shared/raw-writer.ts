/**
 * One store interface for the raw layer: a local folder laid out like the bucket in the local run, S3 through
 * @aws-sdk/client-s3 in AWS. Writes return the byte count and sha256 the manifest records; reads serve the
 * run's checkpoint, an existing manifest and the playlist state; `stat` checks that an earlier run's object a
 * manifest is about to point at is still there with the bytes it had.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export interface RawObjectWriter {
  put(key: string, body: string | Uint8Array, contentType: string): Promise<{ bytes: number; sha256: string }>;
  /** The object's bytes, or null when there is no such object. */
  get(key: string): Promise<Uint8Array | null>;
  /** Size and sha256 of an object, or null when there is no such object. */
  stat(key: string): Promise<{ bytes: number; sha256: string } | null>;
  /** Where the objects go, for logs and reports (e.g. `s3://bucket` or a folder path). */
  describe(): string;
}

function toBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function checkKey(key: string): void {
  if (key.length === 0 || key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '')) {
    throw new Error(`object key "${key}" is not a relative bucket key (no leading slash, no empty or ".." parts)`);
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes keys as files under a folder. Each write is atomic (temporary file, then rename). */
export class LocalFolderWriter implements RawObjectWriter {
  private readonly root: string;

  constructor(bucketDir: string) {
    this.root = resolve(bucketDir);
  }

  private path(key: string): string {
    checkKey(key);
    const target = join(this.root, ...key.split('/'));
    if (!target.startsWith(this.root + sep)) throw new Error(`object key "${key}" escapes ${this.root}`);
    return target;
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async stat(key: string) {
    const bytes = await this.get(key);
    return bytes === null ? null : { bytes: bytes.byteLength, sha256: sha256Hex(bytes) };
  }

  async put(key: string, body: string | Uint8Array, _contentType: string) {
    const target = this.path(key);
    const bytes = toBytes(body);
    await mkdir(dirname(target), { recursive: true });
    // A reader (the transform, a person) never sees a half-written file: rename is atomic on one filesystem.
    const tmp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, target);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    return { bytes: bytes.byteLength, sha256: sha256Hex(bytes) };
  }

  describe(): string {
    return this.root;
  }
}

/** Writes keys to an S3 bucket. A PUT is atomic in S3; the SHA-256 is also sent so S3 verifies the upload. */
export class S3ObjectWriter implements RawObjectWriter {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: string | Uint8Array, contentType: string) {
    checkKey(key);
    const bytes = toBytes(body);
    const sha256 = sha256Hex(bytes);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
        }),
      );
    } catch (error) {
      const err = error as Error & { $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      throw new Error(
        `writing s3://${this.bucket}/${key} failed${status ? ` (HTTP ${status})` : ''}: ${err.name}: ${err.message}. ` +
          'Check that the bucket exists and the function role may s3:PutObject under raw/.',
        { cause: error },
      );
    }
    return { bytes: bytes.byteLength, sha256 };
  }

  async get(key: string): Promise<Uint8Array | null> {
    checkKey(key);
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await result.Body!.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.readError('reading', key, error);
    }
  }

  /** HEAD with the object's SHA-256 checksum (stored by put); objects written without one are read and hashed. */
  async stat(key: string) {
    checkKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }));
      const checksum = head.ChecksumSHA256;
      if (checksum && !checksum.includes('-') && head.ContentLength !== undefined) {
        return { bytes: head.ContentLength, sha256: Buffer.from(checksum, 'base64').toString('hex') };
      }
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.readError('checking', key, error);
    }
    const bytes = await this.get(key);
    return bytes === null ? null : { bytes: bytes.byteLength, sha256: sha256Hex(bytes) };
  }

  describe(): string {
    return `s3://${this.bucket}`;
  }

  private readError(what: string, key: string, error: unknown): Error {
    const err = error as Error & { $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    return new Error(
      `${what} s3://${this.bucket}/${key} failed${status ? ` (HTTP ${status})` : ''}: ${err.name}: ${err.message}. ` +
        'Check that the function role may s3:GetObject and s3:ListBucket under raw/.',
      { cause: error },
    );
  }
}

/** NoSuchKey (GET) or a bare 404 (HEAD has no body to name the error). */
function isNotFound(error: unknown): boolean {
  const err = error as Error & { $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}
