// Request headers that the settings put on uploaded objects (put, sync): Content-Type
// (content-type.ts), storage class, server-side encryption, public-read and --add-header.
import type { Settings } from '../config/settings.ts';
import { uploadContentType } from './content-type.ts';

/** The headers of an upload; `localPath` (when there is one) lets --guess-mime-type work. */
export function objectHeaders(s: Settings, localPath: string | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  h['Content-Type'] = uploadContentType(s, localPath);
  if (s.storageClass) h['x-amz-storage-class'] = s.storageClass;
  if (s.kmsKey) {
    h['x-amz-server-side-encryption'] = 'aws:kms';
    h['x-amz-server-side-encryption-aws-kms-key-id'] = s.kmsKey;
  } else if (s.serverSideEncryption) h['x-amz-server-side-encryption'] = 'AES256';
  if (s.aclPublic) h['x-amz-acl'] = 'public-read';
  Object.assign(h, s.extraHeaders);
  return h;
}
