import type { Server } from 'node:net';

/**
 * Listens on 127.0.0.1; a port in use becomes an error that says which
 * service wanted it and how to pick another.
 */
export const listen = (
  server: Server,
  port: number,
  service: string,
  host = '127.0.0.1',
): Promise<void> =>
  new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new Error(
            `${service} cannot listen on ${host}:${port}: the port is in use. ` +
              'Stop the program using it or choose other ports (see README, Configuration).',
          ),
        );
      } else {
        reject(error);
      }
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
