declare module 'aws-ses-v2-local' {
  import type { Server } from 'node:http';

  export default function server(options?: {
    host?: string;
    port?: number;
  }): Promise<Server>;
}
