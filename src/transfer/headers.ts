// Request headers that the settings put on new objects: Content-Type (content-type.ts), storage
// class, server-side encryption, public-read and --add-header. Uploads (put, sync) and copies (cp,
// mv, modify) take the storage class and encryption from here.
import type { Settings } from '../config/settings.ts';
import { uploadContentType } from './content-type.ts';

/** --storage-class and server-side encryption (--kms-key, else --server-side-encryption). */
export function storageHeaders(s: Settings): Record<string, string> {
  const h: Record<string, string> = {};
  if (s.storageClass) h['x-amz-storage-class'] = s.storageClass;
  if (s.kmsKey) {
    h['x-amz-server-side-encryption'] = 'aws:kms';
    h['x-amz-server-side-encryption-aws-kms-key-id'] = s.kmsKey;
  } else if (s.serverSideEncryption) h['x-amz-server-side-encryption'] = 'AES256';
  return h;
}

/** The headers of an upload; `localPath` (when there is one) lets --guess-mime-type work. */
export function objectHeaders(s: Settings, localPath: string | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  h['Content-Type'] = uploadContentType(s, localPath);
  Object.assign(h, storageHeaders(s));
  if (s.aclPublic) h['x-amz-acl'] = 'public-read';
  Object.assign(h, s.extraHeaders);
  return h;
}
