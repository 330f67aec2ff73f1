import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY, HSTS_MAX_AGE_SECONDS } from '../../topology/http-policy';
import { runProgram, secretValue, type ProgramRun } from '../helpers/pulumi-mocks';

vi.mock('../../infra/bundle', async () => (await import('../helpers/pulumi-mocks')).fakeBundleModule());

const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

let run: ProgramRun;
let cdn: Record<string, any>;
beforeAll(async () => {
  run = await runProgram();
  cdn = run.find('aws:cloudfront/distribution:Distribution', 'site-cdn').inputs;
});

describe('CloudFront site', () => {
  it('fronts the HTTP API over HTTPS only, with no origin path (the $default stage)', () => {
    // Secret as a whole: it carries the origin secret header.
    const origins = secretValue(cdn.origins);
    expect(origins).toEqual([expect.objectContaining({
      domainName: 'api-api-id.execute-api.eu-west-1.amazonaws.com',
      customOriginConfig: expect.objectContaining({ originProtocolPolicy: 'https-only', originSslProtocols: ['TLSv1.2'] }),
    })]);
    expect(origins[0].originPath ?? '').toBe('');
    expect(cdn.viewerCertificate).toEqual({ cloudfrontDefaultCertificate: true });
  });

  it('redirects to HTTPS and compresses in every behaviour, each with the security headers policy', () => {
    const behaviours = [cdn.defaultCacheBehavior, ...cdn.orderedCacheBehaviors];
    const policyId = 'site-security-headers-id';
    for (const b of behaviours) expect(b).toMatchObject({ viewerProtocolPolicy: 'redirect-to-https', compress: true, responseHeadersPolicyId: policyId });
  });

  it('never caches /api/* and forwards everything but Host', () => {
    const api = cdn.orderedCacheBehaviors.find((b: any) => b.pathPattern === '/api/*');
    expect(api).toMatchObject({ cachePolicyId: CACHING_DISABLED, originRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER });
    expect([...api.allowedMethods].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
    expect(cdn.orderedCacheBehaviors[0].pathPattern).toBe('/api/*');
  });

  it('caches hashed /assets/* for a year and pages only as the origin says', () => {
    const assets = cdn.orderedCacheBehaviors.find((b: any) => b.pathPattern === '/assets/*');
    expect(assets.cachePolicyId).toBe('site-assets-cache-id');
    expect(run.find('aws:cloudfront/cachePolicy:CachePolicy', 'site-assets-cache').inputs).toMatchObject({ defaultTtl: 31_536_000, maxTtl: 31_536_000 });
    expect(cdn.defaultCacheBehavior.cachePolicyId).toBe('site-pages-cache-id');
    const pages = run.find('aws:cloudfront/cachePolicy:CachePolicy', 'site-pages-cache').inputs;
    expect(pages).toMatchObject({ minTtl: 0, defaultTtl: 0, parametersInCacheKeyAndForwardedToOrigin: { enableAcceptEncodingGzip: true, enableAcceptEncodingBrotli: true } });
  });

  it('sends HSTS, the static function\'s CSP (frame-ancestors none), nosniff and DENY framing', () => {
    const { securityHeadersConfig: s, customHeadersConfig } = run.find('aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy', 'site-security-headers').inputs;
    expect(s.strictTransportSecurity).toMatchObject({ accessControlMaxAgeSec: HSTS_MAX_AGE_SECONDS, includeSubdomains: true, override: true });
    expect(s.contentSecurityPolicy).toEqual({ contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true });
    expect(s.contentSecurityPolicy.contentSecurityPolicy).toContain("frame-ancestors 'none'");
    expect(s.contentTypeOptions).toEqual({ override: true });
    expect(s.frameOptions).toEqual({ frameOption: 'DENY', override: true });
    const custom = customHeadersConfig.items.map((i: { header: string }) => i.header);
    expect(custom).not.toContain('content-security-policy');
    expect(custom).toContain('permissions-policy');
  });
});
