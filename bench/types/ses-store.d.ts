declare module 'aws-ses-v2-local/dist/store.js' {
  /** An email as aws-ses-v2-local keeps it in memory. */
  export interface StoredEmail {
    readonly messageId: string;
    readonly destination: { readonly to: readonly string[] };
    readonly subject: string;
    readonly body: { readonly html?: string; readonly text?: string };
  }

  export function getStoreReadonly(): { readonly emails: StoredEmail[] };
}
