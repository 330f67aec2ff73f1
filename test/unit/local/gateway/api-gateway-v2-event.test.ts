import { describe, expect, it } from 'vitest';
import { formatRequestTime, parseQuery, toApiGatewayEvent, type GatewayRequest } from '../../../../local/gateway/api-gateway-v2-event';

function request(overrides: Partial<GatewayRequest> = {}): GatewayRequest {
  return {
    method: 'GET',
    url: '/api/todos/42?completed=true&tag=a&tag=b&q=x+y%21',
    rawHeaders: ['Host', '127.0.0.1:3000', 'User-Agent', 'curl/8', 'Cookie', 'session=abc; theme=dark', 'X-Multi', '1', 'x-multi', '2', 'Connection', 'keep-alive'],
    body: Buffer.alloc(0),
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
    port: 3000,
    requestId: 'JKJaXmPLvHcESHA=',
    traceId: 'Root=1-5e6b4a7e-0123456789abcdef01234567',
    time: new Date('2020-03-12T19:03:58.123Z'),
    ...overrides,
  };
}

const route = { routeKey: 'GET /api/todos/{id}', function: 'rule', pathParameters: { id: '42' } };

describe('toApiGatewayEvent', () => {
  it('builds the payload 2.0 event field by field', () => {
    // Prepare
    const req = request();
    // Act
    const event = toApiGatewayEvent(req, route);
    // Assess
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'GET /api/todos/{id}',
      rawPath: '/api/todos/42',
      rawQueryString: 'completed=true&tag=a&tag=b&q=x+y%21',
      cookies: ['session=abc', 'theme=dark'],
      headers: {
        host: '127.0.0.1:3000',
        'user-agent': 'curl/8',
        'x-multi': '1,2',
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-port': '3000',
        'x-forwarded-proto': 'http',
        'x-amzn-trace-id': req.traceId,
        // API Gateway always sends it, 0 without a body.
        'content-length': '0',
      },
      queryStringParameters: { completed: 'true', tag: 'a,b', q: 'x y!' },
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: '127.0.0.1:3000',
        domainPrefix: '127',
        http: { method: 'GET', path: '/api/todos/42', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'curl/8' },
        requestId: 'JKJaXmPLvHcESHA=',
        routeKey: 'GET /api/todos/{id}',
        stage: '$default',
        time: '12/Mar/2020:19:03:58 +0000',
        timeEpoch: 1584039838123,
      },
      pathParameters: { id: '42' },
      isBase64Encoded: false,
    });
  });

  it('omits cookies, query parameters, path parameters and body when there are none', () => {
    const event = toApiGatewayEvent(request({ url: '/', rawHeaders: ['Host', 'localhost'] }), { routeKey: '$default', function: 'static' });
    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event).not.toHaveProperty('body');
    expect(event.rawQueryString).toBe('');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('passes JSON and text bodies as text', () => {
    const body = Buffer.from('{"title":"ünïcode"}');
    const event = toApiGatewayEvent(request({ method: 'POST', body, rawHeaders: ['Content-Type', 'application/json; charset=utf-8'] }), route);
    expect(event.body).toBe('{"title":"ünïcode"}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.headers['content-length']).toBe(String(body.length));
  });

  it('base64-encodes binary, form and untyped bodies', () => {
    for (const type of ['application/octet-stream', 'application/x-www-form-urlencoded', undefined]) {
      const rawHeaders = type ? ['Content-Type', type] : [];
      const event = toApiGatewayEvent(request({ method: 'POST', body: Buffer.from([0, 255, 1]), rawHeaders }), route);
      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body ?? '', 'base64')).toEqual(Buffer.from([0, 255, 1]));
    }
  });

  it('appends the caller to an existing x-forwarded-for', () => {
    const event = toApiGatewayEvent(request({ rawHeaders: ['X-Forwarded-For', '10.0.0.1'], sourceIp: '127.0.0.1' }), route);
    expect(event.headers['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
  });
});

describe('parseQuery', () => {
  it('decodes, joins duplicates with commas and keeps valueless names', () => {
    expect(parseQuery('a=1&a=2&flag&b=%E2%9C%93&bad=%zz')).toEqual({ a: '1,2', flag: '', b: '✓', bad: '%zz' });
  });
});

describe('formatRequestTime', () => {
  it('uses the CLF format in UTC with zero padding', () => {
    expect(formatRequestTime(new Date('2024-01-05T03:04:05Z'))).toBe('05/Jan/2024:03:04:05 +0000');
  });
});

describe('the local edge (what CloudFront adds in front of the API)', () => {
  it('adds the origin secret and the viewer address, replacing whatever the caller sent', () => {
    // Prepare
    const forged = ['X-Origin-Verify', 'guessed', 'CloudFront-Viewer-Address', '203.0.113.9:1234'];
    const req = request({ rawHeaders: ['Host', '127.0.0.1:3000', ...forged], edge: { originSecret: 's3cret', viewerAddress: '127.0.0.5:50123' } });
    // Act
    const { headers } = toApiGatewayEvent(req, route);
    // Assess
    expect(headers['x-origin-verify']).toBe('s3cret');
    expect(headers['cloudfront-viewer-address']).toBe('127.0.0.5:50123');
  });

  it('drops a caller\'s copies even without an edge, so nothing forged reaches a function', () => {
    const req = request({ rawHeaders: ['X-Origin-Verify', 'guessed', 'cloudfront-viewer-address', '203.0.113.9:1234'] });
    const { headers } = toApiGatewayEvent(req, route);
    expect(headers).not.toHaveProperty('x-origin-verify');
    expect(headers).not.toHaveProperty('cloudfront-viewer-address');
  });

  it('sends content-length 0 without a body and the body length with one', () => {
    expect(toApiGatewayEvent(request(), route).headers['content-length']).toBe('0');
    const post = request({ method: 'POST', rawHeaders: ['Content-Type', 'application/json', 'Transfer-Encoding', 'chunked'], body: Buffer.from('{"a":1}') });
    expect(toApiGatewayEvent(post, route).headers['content-length']).toBe('7');
  });
});
