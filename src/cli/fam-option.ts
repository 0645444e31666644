// --fam SIZE[:FILE] and --fam-as MODE, as famez lab, famez qemu-args and famez libvirt-xml take them.
import { FAM_MODES, famSizeProblem, type FamPlan } from '../lab/fam.js';
import { famSize } from '../lab/lab.js';
import { parseSize } from '../memory/size.js';
import { choice, UsageError } from './usage.js';

/**
 * The FAM asked for, or undefined without --fam; `makeDirectory`: FILE is the default one, its directory may be made.
 */
export function famOption(
  command: string,
  fam: string | undefined,
  famAs: string | undefined,
  defaultFile: string,
): (FamPlan & { makeDirectory: boolean }) | undefined {
  if (fam === undefined) {
    if (famAs !== undefined) throw new UsageError(`${command}: --fam-as ${famAs} needs --fam SIZE[:FILE]`);
    return undefined;
  }
  const as = famAs === undefined ? 'ivshmem' : choice('--fam-as', famAs, FAM_MODES);
  const colon = fam.indexOf(':');
  const sizeText = colon < 0 ? fam : fam.slice(0, colon);
  const file = colon < 0 ? defaultFile : fam.slice(colon + 1);
  if (file === '') throw new UsageError(`${command}: --fam ${fam}: the file after ':' is empty`);
  let size: number;
  try {
    size = famSize(parseSize(sizeText));
  } catch (error) {
    throw new UsageError(`invalid value for --fam: ${(error as Error).message}`);
  }
  const problem = famSizeProblem({ size, as, path: file });
  if (problem) throw new UsageError(`${command}: ${problem}`);
  return { size, path: file, as, makeDirectory: colon < 0 };
}
