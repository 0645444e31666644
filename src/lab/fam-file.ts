// The lab's FAM file: made sparse, or an existing one checked. For nvdimm and
// cxl the guests format it, so an existing FILE is taken only when the lab
// made it for that mode (FILE.famez says so, the lab's own file beside it); the
// CXL label area FILE.label is the lab's too. An existing file famez did not
// make is never formatted (docs/security.md).
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { formatSize } from '../memory/size.js';
import { BackingError, checkOwnership, openFileNoFollow } from '../memory/ownership.js';
import { CXL_LABEL_SIZE, famLabelPath, type FamPlan } from './fam.js';
import { LabError } from './lab-lock.js';

/** The lab's mark beside a FILE it made for nvdimm or cxl. */
export function famMarkerPath(file: string): string {
  return `${file}.famez`;
}

function markText(fam: FamPlan): string {
  return `made by famez lab for --fam-as ${fam.as}\n`;
}

/**
 * Opens an existing file (no symlink, no FIFO), or makes a new one (0600, O_EXCL); undefined when `create` is false and
 * there is none.
 */
function open(file: string, create: boolean): number | undefined {
  try {
    return openFileNoFollow(file, create);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!create && code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new LabError(`${file} is a symlink: name the file itself`);
    throw new LabError(`cannot open ${file}: ${(error as Error).message}`);
  }
}

function makeSparse(file: string, size: number, text?: string): void {
  const fd = open(file, true)!;
  try {
    if (text === undefined) ftruncateSync(fd, size);
    else writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** An existing file of ours, of `size` bytes (undefined: any). */
function checkExisting(
  fd: number,
  file: string,
  size: number | undefined,
  fam: FamPlan,
  fix = `give --fam ${fstatSync(fd).size}:${fam.path}, or remove it and ${famMarkerPath(fam.path)}`,
): void {
  const stats = fstatSync(fd);
  if (!stats.isFile()) throw new LabError(`${file} is not a regular file: name a file for --fam`);
  try {
    checkOwnership(fd, file, `name another FILE for --fam`);
  } catch (error) {
    if (error instanceof BackingError) throw new LabError(error.message);
    throw error;
  }
  if (size !== undefined && stats.size !== size)
    throw new LabError(`${file} holds ${formatSize(stats.size)}, not ${formatSize(size)}: ${fix}`);
}

/** Creates the FAM file (sparse) or checks an existing one; for nvdimm and cxl also the mark and the label area. */
export function prepareFam(fam: FamPlan & { makeDirectory?: boolean }): void {
  const dir = path.dirname(fam.path);
  if (fam.makeDirectory) mkdirSync(dir, { recursive: true });
  else if (!existsSync(dir))
    throw new LabError(
      `--fam ${fam.path}: the directory ${dir} does not exist: create it, or name a file in an existing one`,
    );
  if (fam.as === 'ivshmem') return prepareIvshmem(fam);
  const fd = open(fam.path, false);
  if (fd === undefined) {
    makeSparse(fam.path, fam.size);
    makeSparse(famMarkerPath(fam.path), 0, markText(fam));
    if (fam.as === 'cxl') makeSparse(famLabelPath(fam.path), CXL_LABEL_SIZE);
    return;
  }
  try {
    checkMark(fam);
    checkExisting(fd, fam.path, fam.size, fam);
  } finally {
    closeSync(fd);
  }
  if (fam.as === 'cxl') {
    const label = open(famLabelPath(fam.path), false);
    if (label === undefined)
      throw new LabError(
        `${famLabelPath(fam.path)}, the label area of ${fam.path}, is missing: without it the data cannot be found; remove ${fam.path} and ${famMarkerPath(fam.path)} to start anew`,
      );
    try {
      const anew = `remove ${fam.path}, ${famMarkerPath(fam.path)} and it to start anew`;
      checkExisting(label, famLabelPath(fam.path), CXL_LABEL_SIZE, fam, anew);
    } finally {
      closeSync(label);
    }
  }
}

/** As ivshmem (which formats nothing), as before: a new or empty file is sized, any other must have the size. */
function prepareIvshmem(fam: FamPlan): void {
  const fd = openSync(fam.path, 'a+', 0o600);
  try {
    const { size } = fstatSync(fd);
    if (size === 0) ftruncateSync(fd, fam.size);
    else if (size !== fam.size)
      throw new LabError(
        `${fam.path} holds ${formatSize(size)}, not ${formatSize(fam.size)}: give --fam ${size}:${fam.path}, or remove it`,
      );
  } finally {
    closeSync(fd);
  }
}

/** The mark beside an existing FILE: there, ours, and for this mode. */
function checkMark(fam: FamPlan): void {
  const marker = famMarkerPath(fam.path);
  const fd = open(marker, false);
  if (fd === undefined)
    throw new LabError(
      `--fam-as ${fam.as}: ${fam.path} exists and the lab did not make it (no ${marker}): the guests would format it; name a new FILE, or remove it`,
    );
  try {
    checkExisting(fd, marker, undefined, fam);
    const text = readFileSync(fd, 'utf8');
    const made = /^made by famez lab for --fam-as (\w+)\n$/.exec(text)?.[1];
    if (made !== fam.as)
      throw new LabError(
        made
          ? `${fam.path} was made by the lab for --fam-as ${made}, not ${fam.as}: give --fam-as ${made}, or name a new FILE`
          : `${marker} is not the lab's mark: name a new FILE for --fam`,
      );
  } finally {
    closeSync(fd);
  }
}
