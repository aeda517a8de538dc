// pulumi up: VPC + EKS (or an existing cluster), bucket, role for one service account, s3k in the cluster.
// Configuration: see Pulumi.example.yaml and deploy/README.md.
import * as pulumi from '@pulumi/pulumi';
import { readConfig } from './src/config';
import { createInfra } from './src/infra';

// Resource names start with s3k-<stack> (lower case: bucket names must be).
const infra = createInfra(`s3k-${pulumi.getStack().toLowerCase()}`, readConfig());

export const clusterName = infra.clusterName;
export const bucketName = infra.bucketName;
export const roleArn = infra.roleArn;
export const backupRoleArn = infra.backupRoleArn;
export const oidcProviderArn = infra.oidcProviderArn;
export const kubeconfig = infra.kubeconfig;
export const execExample = pulumi.interpolate`kubectl -n ${infra.namespace} exec deploy/s3k -- s3cmd ls s3://${infra.bucketName}/`;
