/**
 * File-backed local store for Node devices (CLIs, servers acting as a device, tests).
 *
 * State lives in memory and every committed transaction is appended to a journal as one JSON
 * line, flushed to disk (fdatasync) before the transaction resolves, so an acknowledged local
 * write survives a crash. A torn last line (the process died mid-append) is ignored on load: that
 * transaction never resolved, so nobody was told it happened. When the journal grows past four
 * times the live state it is rewritten compactly (write a new file, fsync, rename over).
 *
 * One process per file: two processes appending to one journal would each miss the other's
 * writes. The store takes a lock file to refuse that.
 */
import { closeSync, openSync, readFileSync, writeSync, constants as fsConstants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { MemoryStore, type StoreOp } from '../store/memory.js';
import type { LocalStore } from '../store/types.js';

const JOURNAL = 'journal.jsonl';
const LOCK = 'journal.lock';

export interface FileStoreOptions {
  /** Directory holding the journal; created if missing. */
  directory: string;
  /** fdatasync after every transaction (default true). Off trades crash safety for speed. */
  durable?: boolean;
}

class FileStore extends MemoryStore {
  override readonly kind = 'file';
  private journal!: FileHandle;
  private journalBytes = 0;
  private liveBytes = 0;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly directory: string,
    private readonly durable: boolean,
  ) {
    super();
  }

  async load() {
    await mkdir(this.directory, { recursive: true });
    this.takeLock();
    const file = path.join(this.directory, JOURNAL);
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        this.applyOp(JSON.parse(line) as StoreOp);
      } catch {
        break; // torn tail: that transaction was never acknowledged
      }
    }
    await this.compact();
  }

  protected override persist(op: StoreOp): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The file store is closed'));
    // Appends are chained so the journal order is the commit order.
    const write = this.tail.then(async () => {
      const line = `${JSON.stringify(op)}\n`;
      await this.journal.appendFile(line, 'utf8');
      if (this.durable) await this.journal.datasync();
      this.journalBytes += line.length;
      if (this.journalBytes > 4 * Math.max(this.liveBytes, 64 * 1024)) await this.compact();
    });
    this.tail = write.catch(() => undefined);
    return write;
  }

  override async close() {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.journal.close();
    await rm(path.join(this.directory, LOCK), { force: true });
  }

  private async compact() {
    const file = path.join(this.directory, JOURNAL);
    const next = `${file}.next`;
    const text = this.snapshot()
      .map((op) => `${JSON.stringify(op)}\n`)
      .join('');
    const handle = await open(next, 'w');
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    await rename(next, file);
    await this.journal?.close();
    this.journal = await open(file, 'a');
    this.journalBytes = this.liveBytes = text.length;
  }

  private takeLock() {
    const lock = path.join(this.directory, LOCK);
    let fd: number;
    try {
      fd = openSync(lock, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a process that no longer runs is taken over.
      const owner = Number(readLockOwner(lock));
      if (owner && isRunning(owner)) {
        throw new Error(`${this.directory} is in use by process ${owner}`, { cause: error });
      }
      fd = openSync(lock, 'w');
    }
    writeSync(fd, String(process.pid));
    closeSync(fd);
  }
}

function readLockOwner(lock: string): string {
  try {
    return readFileSync(lock, 'utf8');
  } catch {
    return '';
  }
}

/** The guard is against other processes; a test may reopen a store in its own process. */
function isRunning(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Opens (creating if needed) a file store in `directory`. */
export async function fileStore(options: FileStoreOptions): Promise<LocalStore> {
  const store = new FileStore(options.directory, options.durable ?? true);
  await store.load();
  return store;
}
