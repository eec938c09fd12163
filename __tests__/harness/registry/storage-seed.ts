/**
 * Writes images straight into the filesystem storage of distribution 2.8, in the layout its
 * filesystem driver uses, so benchmarks can have tens of thousands of tags in seconds. Pushing
 * the same images over HTTP produces the same files (the self-test compares the two trees).
 *
 *   docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data
 *   docker/registry/v2/repositories/<name>/_layers/sha256/<hex>/link               (blobs)
 *   docker/registry/v2/repositories/<name>/_manifests/revisions/sha256/<hex>/link  (manifests)
 *   docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/current/link
 *   docker/registry/v2/repositories/<name>/_manifests/tags/<tag>/index/sha256/<hex>/link
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

import { buildImage, type Blob } from './image-build.js';
import type { ImageSpec, PushedImage } from './types.js';

const REPOSITORY_NAME =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/**
 * Synchronous writes are several times faster than the thread pool for many tiny files on tmpfs;
 * yielding every so many tags keeps the in-process token server answering.
 */
const TAGS_PER_SLICE = 100;

function hexOf(digest: string): string {
  return digest.replace(/^sha256:/, '');
}

export class StorageSeeder {
  private readonly root: string;
  /** Files this seeder wrote, with their content, so shared blobs and links are written once. */
  private readonly written = new Map<string, string>();
  private readonly directories = new Set<string>();

  constructor(dataDirectory: string) {
    this.root = path.join(dataDirectory, 'docker', 'registry', 'v2');
  }

  async seedMany(
    repository: string,
    images: { tag: string; image: ImageSpec }[],
  ): Promise<PushedImage[]> {
    if (!REPOSITORY_NAME.test(repository)) {
      throw new Error(`Cannot seed "${repository}": not a valid repository name.`);
    }
    const invalid = images.find((entry) => !TAG.test(entry.tag));
    if (invalid) throw new Error(`Cannot seed ${repository}:${invalid.tag}: not a valid tag.`);
    const results: PushedImage[] = [];
    for (const [position, entry] of images.entries()) {
      results.push(this.seed(repository, entry.tag, entry.image));
      if (position % TAGS_PER_SLICE === TAGS_PER_SLICE - 1) await yieldToEventLoop();
    }
    return results;
  }

  private seed(repository: string, tag: string, image: ImageSpec): PushedImage {
    const built = buildImage(repository, tag, image);
    const repositoryRoot = path.join(this.root, 'repositories', ...repository.split('/'));
    for (const { blob } of built.blobs) {
      this.writeBlob(blob);
      this.writeLink(
        path.join(repositoryRoot, '_layers', 'sha256', hexOf(blob.digest)),
        blob.digest,
        blob.digest,
      );
    }
    for (const manifest of [...built.children, built.top]) {
      this.writeBlob(manifest);
      this.writeLink(
        path.join(repositoryRoot, '_manifests', 'revisions', 'sha256', hexOf(manifest.digest)),
        manifest.digest,
      );
    }
    const tagRoot = path.join(repositoryRoot, '_manifests', 'tags', tag);
    this.writeLink(
      path.join(tagRoot, 'index', 'sha256', hexOf(built.top.digest)),
      built.top.digest,
    );
    // Last, so a reader never sees a tag whose manifest is missing.
    this.writeLink(path.join(tagRoot, 'current'), built.top.digest);
    return built.result;
  }

  private writeBlob(blob: Blob): void {
    const hex = hexOf(blob.digest);
    // Content-addressed, and only garbage collection removes blobs: write each once.
    this.write(
      path.join(this.root, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data'),
      blob.bytes,
      blob.digest,
    );
  }

  /**
   * `cacheAs` skips files this seeder already wrote with that content: blob data and `_layers`
   * links, which nothing but garbage collection removes. Manifest and tag links are always
   * written, since deleting a manifest over HTTP removes them.
   */
  private writeLink(directory: string, digest: string, cacheAs?: string): void {
    this.write(path.join(directory, 'link'), digest, cacheAs);
  }

  /** Rename into place: the running registry may read the file at any moment. */
  private write(file: string, content: string | Buffer, cacheAs?: string): void {
    if (cacheAs !== undefined && this.written.get(file) === cacheAs) return;
    const directory = path.dirname(file);
    const temporary = `${file}.${randomUUID()}.tmp`;
    if (!this.directories.has(directory)) {
      mkdirSync(directory, { recursive: true });
      this.directories.add(directory);
    }
    try {
      writeFileSync(temporary, content);
    } catch (error) {
      // The registry removed the directory (a deleted tag): make it again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(directory, { recursive: true });
      writeFileSync(temporary, content);
    }
    renameSync(temporary, file);
    if (cacheAs !== undefined) this.written.set(file, cacheAs);
  }
}
