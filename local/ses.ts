import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesModule from 'aws-ses-v2-local';
import { closeServer, listen } from './net.js';

export interface LocalSes {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

type StartSes = typeof sesModule;

/*
 * The package is CommonJS with `exports.default`: Node's ESM loader hands
 * over the whole exports object, a bundler or Jest the function itself.
 */
const startSesServer: StartSes =
  (sesModule as unknown as { default?: StartSes }).default ?? sesModule;

/** Finds out whether a port is free, with the message `listen` gives. */
const probePort = async (
  port: number,
  service: string,
  portSetting?: string,
): Promise<number> => {
  const probe: Server = createServer();
  await listen(probe, port, service, { portSetting });
  const free = (probe.address() as AddressInfo).port;
  await closeServer(probe);

  return free;
};

/**
 * Starts aws-ses-v2-local: it takes SES v2 SendEmail calls, keeps the mail
 * in memory (a restart empties the mailbox), and serves the mailbox page at
 * `/` and the mail as JSON at `/store`.
 */
export const startSes = async (
  port: number,
  portSetting?: string,
): Promise<LocalSes> => {
  // The emulator has no error handler for a busy port: check first.
  const freePort = await probePort(port, 'The SES mailbox', portSetting);
  const server = await startSesServer({ host: '127.0.0.1', port: freePort });

  return {
    url: `http://127.0.0.1:${freePort}`,
    port: freePort,
    close: () => closeServer(server),
  };
};
