import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen } from '../../local/net.js';

let holder: Server;
let busyPort: number;

beforeAll(async () => {
  holder = createServer();
  await listen(holder, 0, 'The holder');
  busyPort = (holder.address() as AddressInfo).port;
});

afterAll(async () => {
  await closeServer(holder);
});

describe('listen on a port in use', () => {
  it('names the service and the setting that chooses another port', async () => {
    // Act
    const attempt = listen(createServer(), busyPort, 'The SES mailbox', {
      portSetting: 'SES_PORT',
    });

    // Assess
    await expect(attempt).rejects.toThrow(
      `The SES mailbox cannot listen on 127.0.0.1:${busyPort}: the port is ` +
        'in use. Stop the program using it or set SES_PORT to another port, ' +
        'or to 0 for a free one (see README, Configuration).',
    );
  });

  it('gives general advice when no setting is named', async () => {
    // Act
    const attempt = listen(createServer(), busyPort, 'The API');

    // Assess
    await expect(attempt).rejects.toThrow(
      'Stop the program using it or choose other ports (see README, ' +
        'Configuration).',
    );
  });
});
