// systemd socket activation (sd_listen_fds): the listening socket is fd 3 when
// LISTEN_PID names this process and LISTEN_FDS is at least 1. The variables
// are removed once read, so that children and a second server do not take it.

/** The first fd systemd passes. */
export const SD_LISTEN_FDS_START = 3;

export function takeSystemdListener(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
  const fds = Number(env.LISTEN_FDS);
  const forUs = env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) === pid;
  if (!forUs || !Number.isInteger(fds) || fds < 1) return undefined;
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  return SD_LISTEN_FDS_START;
}
