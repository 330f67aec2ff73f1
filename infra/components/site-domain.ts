import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/**
 * A custom domain for the site: an ACM certificate validated through Route 53, and (once the
 * distribution exists) alias records pointing the name at it.
 */
export class SiteDomain extends pulumi.ComponentResource {
  readonly certificate: aws.acm.Certificate;
  /** The ARN of the certificate once ACM has issued it; CloudFront refuses one still pending. */
  readonly validatedCertificateArn: pulumi.Output<string>;

  constructor(private readonly name: string, private readonly args: SiteDomainArgs, opts?: pulumi.ComponentResourceOptions) {
    super('noops-todo:edge:SiteDomain', name, {}, opts);

    this.certificate = createCertificate(this);
    this.validatedCertificateArn = validate(this, this.certificate);
    this.registerOutputs({ domainName: args.domainName, certificateArn: this.certificate.arn });

    function createCertificate(parent: SiteDomain) {
      return new aws.acm.Certificate(`${name}-certificate`, {
        domainName: args.domainName,
        validationMethod: 'DNS',
        // Per AWS, CloudFront only accepts ACM certificates from us-east-1, whatever the stack's region.
        region: 'us-east-1',
      }, { parent });
    }

    function validate(parent: SiteDomain, certificate: aws.acm.Certificate) {
      // One domain name, so exactly one validation record.
      const option = certificate.domainValidationOptions.apply((options) => options[0]!);
      const record = new aws.route53.Record(`${name}-validation`, {
        zoneId: args.hostedZoneId,
        name: option.resourceRecordName,
        type: option.resourceRecordType,
        records: [option.resourceRecordValue],
        ttl: 300,
        allowOverwrite: true,
      }, { parent });
      const validation = new aws.acm.CertificateValidation(`${name}-validated`, {
        certificateArn: certificate.arn,
        validationRecordFqdns: [record.fqdn],
        region: 'us-east-1',
      }, { parent });
      return validation.certificateArn;
    }
  }

  /** Points the domain (IPv4 and IPv6) at the distribution. */
  alias(distribution: aws.cloudfront.Distribution): void {
    for (const type of ['A', 'AAAA']) {
      new aws.route53.Record(`${this.name}-alias-${type.toLowerCase()}`, {
        zoneId: this.args.hostedZoneId,
        name: this.args.domainName,
        type,
        aliases: [{ name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false }],
      }, { parent: this });
    }
  }
}

export interface SiteDomainArgs {
  /** e.g. `todo.example.com`. */
  domainName: string;
  /** The Route 53 hosted zone that holds `domainName`. */
  hostedZoneId: string;
}
