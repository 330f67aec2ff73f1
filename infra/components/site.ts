import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import {
  CONTENT_SECURITY_POLICY,
  FRAME_OPTIONS,
  HSTS_MAX_AGE_SECONDS,
  REFERRER_POLICY,
  SECURITY_HEADERS,
} from '../../topology/http-policy';
import type { HttpApi } from './http-api';
import type { OriginSecret } from './origin-secret';
import { SiteDomain } from './site-domain';

/** AWS managed policies (IDs are fixed across accounts; see the CloudFront developer guide). */
export const MANAGED_CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
/**
 * Forwards everything but Host: API Gateway routes by Host and rejects CloudFront's viewer host. Per
 * "Use managed origin request policies" (CloudFront developer guide), this policy also adds CloudFront's
 * viewer location headers, among them CloudFront-Viewer-Address, which the login throttle counts by.
 */
export const MANAGED_ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

const ONE_YEAR_SECONDS = 31_536_000;
const ORIGIN_ID = 'api';
const ALL_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'];
const READ_METHODS = ['GET', 'HEAD'];

/**
 * CloudFront in front of the HTTP API: the only public entry point of the site. `/api/*` is never
 * cached; content-hashed `/assets/*` are cached for a year; pages follow the origin's Cache-Control.
 * Every response carries the same security headers the static function sends.
 */
export class Site extends pulumi.ComponentResource {
  readonly distribution: aws.cloudfront.Distribution;
  readonly responseHeadersPolicy: aws.cloudfront.ResponseHeadersPolicy;
  readonly domain?: SiteDomain;
  /** `https://<custom domain or distribution domain>`, without a trailing slash. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:edge:Site', name, {}, opts);

    this.domain = args.customDomain ? new SiteDomain(`${name}-domain`, args.customDomain, { parent: this }) : undefined;
    this.responseHeadersPolicy = createResponseHeadersPolicy(this);
    const pagesPolicy = createCachePolicy(this, 'pages', 0);
    const assetsPolicy = createCachePolicy(this, 'assets', ONE_YEAR_SECONDS);
    this.distribution = createDistribution(this, pagesPolicy, assetsPolicy);
    this.domain?.alias(this.distribution);
    this.url = args.customDomain ? pulumi.output(`https://${args.customDomain.domainName}`) : pulumi.interpolate`https://${this.distribution.domainName}`;
    this.registerOutputs({ url: this.url, distributionId: this.distribution.id });

    function createResponseHeadersPolicy(parent: Site) {
      const custom = Object.entries(SECURITY_HEADERS).filter(([header]) => !SECURITY_CONFIG_HEADERS.has(header));
      return new aws.cloudfront.ResponseHeadersPolicy(`${name}-security-headers`, {
        name: `${args.physicalName}-security-headers`,
        securityHeadersConfig: {
          strictTransportSecurity: { accessControlMaxAgeSec: HSTS_MAX_AGE_SECONDS, includeSubdomains: true, override: true },
          contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
          contentTypeOptions: { override: true },
          frameOptions: { frameOption: FRAME_OPTIONS, override: true },
          referrerPolicy: { referrerPolicy: REFERRER_POLICY, override: true },
        },
        customHeadersConfig: { items: custom.map(([header, value]) => ({ header, value, override: true })) },
      }, { parent });
    }

    function createCachePolicy(parent: Site, kind: string, defaultTtl: number) {
      return new aws.cloudfront.CachePolicy(`${name}-${kind}-cache`, {
        name: `${args.physicalName}-${kind}`,
        minTtl: 0,
        defaultTtl,
        maxTtl: ONE_YEAR_SECONDS,
        parametersInCacheKeyAndForwardedToOrigin: {
          cookiesConfig: { cookieBehavior: 'none' },
          headersConfig: { headerBehavior: 'none' },
          queryStringsConfig: { queryStringBehavior: 'none' },
          // Needed for `compress` to serve gzip/brotli from the cache.
          enableAcceptEncodingGzip: true,
          enableAcceptEncodingBrotli: true,
        },
      }, { parent });
    }

    function createDistribution(parent: Site, pages: aws.cloudfront.CachePolicy, assets: aws.cloudfront.CachePolicy) {
      const behaviour = {
        targetOriginId: ORIGIN_ID,
        viewerProtocolPolicy: 'redirect-to-https',
        compress: true,
        responseHeadersPolicyId: parent.responseHeadersPolicy.id,
      };
      return new aws.cloudfront.Distribution(`${name}-cdn`, {
        enabled: true,
        comment: `${args.physicalName} site`,
        httpVersion: 'http2and3',
        isIpv6Enabled: true,
        priceClass: args.priceClass,
        aliases: args.customDomain ? [args.customDomain.domainName] : [],
        origins: [{
          originId: ORIGIN_ID,
          domainName: args.api.api.apiEndpoint.apply((endpoint) => new URL(endpoint).hostname),
          customOriginConfig: { originProtocolPolicy: 'https-only', originSslProtocols: ['TLSv1.2'], httpPort: 80, httpsPort: 443 },
          // The API answers only requests carrying this header; CloudFront overwrites a viewer's copy.
          customHeaders: [{ name: args.originSecret.header.name, value: args.originSecret.header.value }],
        }],
        defaultCacheBehavior: { ...behaviour, allowedMethods: READ_METHODS, cachedMethods: READ_METHODS, cachePolicyId: pages.id },
        orderedCacheBehaviors: [
          {
            ...behaviour,
            pathPattern: '/api/*',
            allowedMethods: ALL_METHODS,
            cachedMethods: READ_METHODS,
            cachePolicyId: MANAGED_CACHING_DISABLED,
            originRequestPolicyId: MANAGED_ALL_VIEWER_EXCEPT_HOST_HEADER,
          },
          { ...behaviour, pathPattern: '/assets/*', allowedMethods: READ_METHODS, cachedMethods: READ_METHODS, cachePolicyId: assets.id },
        ],
        restrictions: { geoRestriction: { restrictionType: 'none' } },
        viewerCertificate: parent.domain
          ? { acmCertificateArn: parent.domain.validatedCertificateArn, sslSupportMethod: 'sni-only', minimumProtocolVersion: 'TLSv1.2_2021' }
          : { cloudfrontDefaultCertificate: true },
        // A rotated value is stored (AWSCURRENT) before CloudFront starts sending it.
      }, { parent, dependsOn: [args.originSecret.version] });
    }
  }
}

/** Headers CloudFront sets through `securityHeadersConfig`; it rejects them as custom headers. */
const SECURITY_CONFIG_HEADERS = new Set([
  'content-security-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'x-xss-protection',
]);

export interface SiteArgs {
  /** e.g. `noops-todo-dev`; names the policies, which are account-wide. */
  physicalName: string;
  api: HttpApi;
  /** The secret origin header CloudFront adds to every request to the API. */
  originSecret: OriginSecret;
  /** PriceClass_100 (North America and Europe edges) is the cheapest. */
  priceClass: string;
  customDomain?: { domainName: string; hostedZoneId: string };
}
