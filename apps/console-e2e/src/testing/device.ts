/**
 * A device of an end user, over real HTTP as apps talk to the API: better-auth sign-up or a
 * guest session (bearer token), then tRPC's wire format (GET for queries with `?input=`, POST
 * for mutations, answers under `result.data`, errors under `error` with the Cognito name).
 */
export const PASSWORD = 'correct-horse-battery';

let counter = 0;
export const uniqueEmail = (prefix = 'user') =>
  `${prefix}${Date.now().toString(36)}${++counter}@example.com`;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface RemoteRecord {
  key: string;
  value: string | null;
  syncCount: number;
  lastModifiedBy: string | null;
}

interface Pull {
  records: RemoteRecord[];
  datasetSyncCount: number;
  datasetExists: boolean;
  syncSessionToken: string;
  nextToken: string | null;
}

/** better-auth refuses browser-less calls without an Origin it trusts: the API's own. */
async function auth(apiUrl: string, route: string, body: unknown): Promise<string> {
  const response = await fetch(`${apiUrl}/api/auth/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: apiUrl },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${route}: ${response.status} ${await response.text()}`);
  const token = response.headers.get('set-auth-token');
  if (!token) throw new Error(`${route}: no set-auth-token header`);
  return token;
}

export const signUpUser = (apiUrl: string, email: string) =>
  auth(apiUrl, 'sign-up/email', { email, password: PASSWORD, name: email.split('@')[0] });

export class Device {
  identityId = '';

  constructor(
    readonly apiUrl: string,
    readonly token: string,
    readonly identityPoolId: string,
  ) {}

  static async user(apiUrl: string, identityPoolId: string, email = uniqueEmail()) {
    const device = new Device(apiUrl, await signUpUser(apiUrl, email), identityPoolId);
    await device.getId();
    return device;
  }

  static async guest(apiUrl: string, identityPoolId: string) {
    const device = new Device(apiUrl, await auth(apiUrl, 'sign-in/anonymous', {}), identityPoolId);
    await device.getId();
    return device;
  }

  private async call<T>(procedure: string, input: unknown, method: 'GET' | 'POST'): Promise<T> {
    const url =
      method === 'GET'
        ? `${this.apiUrl}/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`
        : `${this.apiUrl}/trpc/${procedure}`;
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: JSON.stringify(input) } : {}),
    });
    const body = (await response.json()) as {
      result?: { data: T };
      error?: { message: string; data?: { cognitoError?: string; httpStatus?: number } };
    };
    if (body.error) {
      throw new ApiError(
        body.error.message,
        body.error.data?.cognitoError ?? 'unknown',
        body.error.data?.httpStatus ?? response.status,
      );
    }
    return body.result!.data;
  }

  async getId(): Promise<string> {
    const identity = await this.call<{ identityId: string }>(
      'identity.getId',
      { identityPoolId: this.identityPoolId },
      'POST',
    );
    this.identityId = identity.identityId;
    return identity.identityId;
  }

  /** ListRecords from scratch: every record the server has (tombstones included). */
  async pull(datasetName: string): Promise<Pull> {
    return this.call<Pull>(
      'record.list',
      { identityPoolId: this.identityPoolId, datasetName },
      'GET',
    );
  }

  /** The live records of a dataset, as a key → value map. */
  async values(datasetName: string): Promise<Record<string, string>> {
    const pull = await this.pull(datasetName);
    return Object.fromEntries(
      pull.records.filter((r) => r.value !== null).map((r) => [r.key, r.value as string]),
    );
  }

  /** Pull, then push `changes` (value null removes) on the sync counts just pulled. */
  async write(datasetName: string, changes: Record<string, string | null>) {
    const pull = await this.pull(datasetName);
    const counts = new Map(pull.records.map((r) => [r.key, r.syncCount]));
    return this.call<{ records: RemoteRecord[] }>(
      'record.update',
      {
        identityPoolId: this.identityPoolId,
        datasetName,
        syncSessionToken: pull.syncSessionToken,
        recordPatches: Object.entries(changes).map(([key, value]) =>
          value === null
            ? { op: 'remove', key, syncCount: counts.get(key) ?? 0 }
            : { op: 'replace', key, value, syncCount: counts.get(key) ?? 0 },
        ),
      },
      'POST',
    );
  }

  async datasets(): Promise<string[]> {
    const list = await this.call<{ datasets: { datasetName: string }[] }>(
      'dataset.list',
      { identityPoolId: this.identityPoolId },
      'GET',
    );
    return list.datasets.map((d) => d.datasetName).sort();
  }
}
