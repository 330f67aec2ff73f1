/** A minimal same-origin API client for the local stack (cookie session, like the browser app). */
export class ApiClient {
  private cookie = '';

  constructor(private readonly base: string) {}

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        'sec-fetch-site': 'same-origin',
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  /** Registers and signs in a new user; answers their user id. */
  async signUp(userName: string, password = 'correct horse battery staple'): Promise<string> {
    const registered = await this.request('POST', '/api/register', { userName, password });
    if (registered.status >= 300) throw new Error(`register ${userName}: ${registered.status} ${JSON.stringify(registered.json)}`);
    const login = await this.request('POST', '/api/login/account', { userName, password, type: 'account' });
    if (login.json?.status !== 'ok') throw new Error(`login ${userName}: ${login.status} ${JSON.stringify(login.json)}`);
    const me = await this.request('GET', '/api/currentUser');
    return me.json.data?.userid ?? me.json.userid;
  }
}
