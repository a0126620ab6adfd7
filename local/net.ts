import type { Server } from 'node:net';

/** How a service listens, and what to tell a person when it cannot. */
export interface ListenOptions {
  /** Interface to listen on; 127.0.0.1 when absent. */
  readonly host?: string;
  /** The setting that chooses this port (`SES_PORT`), named in the error. */
  readonly portSetting?: string;
}

/**
 * The error for a port in use: which service wanted it and how to pick
 * another, naming the setting to change when the caller knows it.
 */
export const portInUseError = (
  service: string,
  address: string,
  portSetting?: string,
): Error => {
  const remedy = portSetting
    ? `set ${portSetting} to another port, or to 0 for a free one`
    : 'choose other ports';

  return new Error(
    `${service} cannot listen on ${address}: the port is in use. ` +
      `Stop the program using it or ${remedy} (see README, Configuration).`,
  );
};

/**
 * Listens on 127.0.0.1; a port in use becomes an error that says which
 * service wanted it and how to pick another.
 */
export const listen = (
  server: Server,
  port: number,
  service: string,
  options: ListenOptions = {},
): Promise<void> =>
  new Promise((resolve, reject) => {
    const host = options.host ?? '127.0.0.1';
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? portInUseError(service, `${host}:${port}`, options.portSetting)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });

export const closeServer = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    if ('closeAllConnections' in server) {
      (server as { closeAllConnections: () => void }).closeAllConnections();
    }
  });
