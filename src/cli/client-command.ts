// `famez client`: placeholder until the console lands.
export async function runClient(_args: string[]): Promise<number> {
  process.stderr.write('famez client: not implemented yet\n');
  return 1;
}
