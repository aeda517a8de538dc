// s3cmd's command table (name, label, parameters, minimum argument count), and s3k's own commands
// (labels starting with [s3k]). s3k marks the ones it does not implement (`notSupported`); they fail
// with exit 64 and a clear line, never a crash. --help, the man page (cli/manpage.ts) and the shell
// completion (cli/completion.ts) all list commands from this table.
export interface CommandSpec {
  cmd: string;
  label: string;
  param: string;
  argc: number;
  /** Refused with exit 64 and a line saying what to use instead; never offered by the shell completion. */
  notSupported?: true;
}

export const COMMANDS: CommandSpec[] = [
  { cmd: 'mb', label: 'Make bucket', param: 's3://BUCKET', argc: 1 },
  { cmd: 'rb', label: 'Remove bucket', param: 's3://BUCKET', argc: 1 },
  { cmd: 'ls', label: 'List objects or buckets', param: '[s3://BUCKET[/PREFIX]]', argc: 0 },
  { cmd: 'la', label: 'List all object in all buckets', param: '', argc: 0 },
  { cmd: 'put', label: 'Put file into bucket', param: 'FILE [FILE...] s3://BUCKET[/PREFIX]', argc: 2 },
  { cmd: 'get', label: 'Get file from bucket', param: 's3://BUCKET/OBJECT LOCAL_FILE', argc: 1 },
  { cmd: 'del', label: 'Delete file from bucket', param: 's3://BUCKET/OBJECT', argc: 1 },
  { cmd: 'rm', label: 'Delete file from bucket (alias for del)', param: 's3://BUCKET/OBJECT', argc: 1 },
  { cmd: 'restore', label: 'Restore file from Glacier storage', param: 's3://BUCKET/OBJECT', argc: 1 },
  { cmd: 'sync', label: 'Synchronize a directory tree to S3 (checks files freshness using size and md5 checksum, unless overridden by options, see below)', param: 'LOCAL_DIR s3://BUCKET[/PREFIX] or s3://BUCKET[/PREFIX] LOCAL_DIR or s3://BUCKET[/PREFIX] s3://BUCKET[/PREFIX]', argc: 2 },
  { cmd: 'du', label: 'Disk usage by buckets', param: '[s3://BUCKET[/PREFIX]]', argc: 0 },
  { cmd: 'info', label: 'Get various information about Buckets or Files', param: 's3://BUCKET[/OBJECT]', argc: 1 },
  { cmd: 'cp', label: 'Copy object', param: 's3://BUCKET1/OBJECT1 s3://BUCKET2[/OBJECT2]', argc: 2 },
  { cmd: 'modify', label: 'Modify object metadata', param: 's3://BUCKET1/OBJECT', argc: 1 },
  { cmd: 'mv', label: 'Move object', param: 's3://BUCKET1/OBJECT1 s3://BUCKET2[/OBJECT2]', argc: 2 },
  { cmd: 'setacl', label: 'Modify Access control list for Bucket or Files', param: 's3://BUCKET[/OBJECT]', argc: 1 },
  { cmd: 'setpolicy', label: 'Modify Bucket Policy', param: 'FILE s3://BUCKET', argc: 2 },
  { cmd: 'delpolicy', label: 'Delete Bucket Policy', param: 's3://BUCKET', argc: 1 },
  { cmd: 'setcors', label: 'Modify Bucket CORS', param: 'FILE s3://BUCKET', argc: 2 },
  { cmd: 'delcors', label: 'Delete Bucket CORS', param: 's3://BUCKET', argc: 1 },
  { cmd: 'payer', label: 'Modify Bucket Requester Pays policy', param: 's3://BUCKET', argc: 1 },
  { cmd: 'multipart', label: 'Show multipart uploads', param: 's3://BUCKET [Id]', argc: 1 },
  { cmd: 'abortmp', label: 'Abort a multipart upload', param: 's3://BUCKET/OBJECT Id', argc: 2 },
  { cmd: 'listmp', label: 'List parts of a multipart upload', param: 's3://BUCKET/OBJECT Id', argc: 2 },
  { cmd: 'accesslog', label: 'Enable/disable bucket access logging', param: 's3://BUCKET', argc: 1 },
  { cmd: 'sign', label: 'Sign arbitrary string using the secret key', param: 'STRING-TO-SIGN', argc: 1 },
  { cmd: 'signurl', label: 'Sign an S3 URL to provide limited public access with expiry', param: 's3://BUCKET/OBJECT <expiry_epoch|+expiry_offset>', argc: 2 },
  { cmd: 'fixbucket', label: 'Fix invalid file names in a bucket', param: 's3://BUCKET[/PREFIX]', argc: 1, notSupported: true },
  { cmd: 'ws-create', label: 'Create Website from bucket', param: 's3://BUCKET', argc: 1 },
  { cmd: 'ws-delete', label: 'Delete Website', param: 's3://BUCKET', argc: 1 },
  { cmd: 'ws-info', label: 'Info about Website', param: 's3://BUCKET', argc: 1 },
  { cmd: 'expire', label: 'Set or delete expiration rule for the bucket', param: 's3://BUCKET', argc: 1 },
  { cmd: 'setlifecycle', label: 'Upload a lifecycle policy for the bucket', param: 'FILE s3://BUCKET', argc: 2 },
  { cmd: 'getlifecycle', label: 'Get a lifecycle policy for the bucket', param: 's3://BUCKET', argc: 1 },
  { cmd: 'dellifecycle', label: 'Remove a lifecycle policy for the bucket', param: 's3://BUCKET', argc: 1 },
  { cmd: 'setnotification', label: 'Upload a notification policy for the bucket', param: 'FILE s3://BUCKET', argc: 2 },
  { cmd: 'getnotification', label: 'Get a notification policy for the bucket', param: 's3://BUCKET', argc: 1 },
  { cmd: 'delnotification', label: 'Remove a notification policy for the bucket', param: 's3://BUCKET', argc: 1 },
  { cmd: 'cflist', label: 'List CloudFront distribution points', param: '', argc: 0, notSupported: true },
  { cmd: 'cfinfo', label: 'Display CloudFront distribution point parameters', param: '[cf://DIST_ID]', argc: 0, notSupported: true },
  { cmd: 'cfcreate', label: 'Create CloudFront distribution point', param: 's3://BUCKET', argc: 1, notSupported: true },
  { cmd: 'cfdelete', label: 'Delete CloudFront distribution point', param: 'cf://DIST_ID', argc: 1, notSupported: true },
  { cmd: 'cfmodify', label: 'Change CloudFront distribution point parameters', param: 'cf://DIST_ID', argc: 1, notSupported: true },
  { cmd: 'cfinvalinfo', label: 'Display CloudFront invalidation request(s) status', param: 'cf://DIST_ID[/INVAL_ID]', argc: 1, notSupported: true },
  { cmd: 'getacl', label: 'List Access control list for Bucket or Files', param: 's3://BUCKET[/OBJECT]', argc: 1 },
  { cmd: 'getpolicy', label: 'Get Bucket Policy', param: 's3://BUCKET', argc: 1 },
  { cmd: 'getcors', label: '[s3k] Get Bucket CORS', param: 's3://BUCKET', argc: 1 },
  { cmd: 'setversioning', label: 'Modify Bucket Versioning', param: 's3://BUCKET enable|disable', argc: 2 },
  { cmd: 'settagging', label: 'Modify tagging for Bucket or Files', param: 's3://BUCKET[/OBJECT] "KEY=VALUE[&KEY=VALUE ...]"', argc: 2 },
  { cmd: 'gettagging', label: 'Get tagging for Bucket or Files', param: 's3://BUCKET[/OBJECT]', argc: 1 },
  { cmd: 'deltagging', label: 'Delete tagging for Bucket or Files', param: 's3://BUCKET[/OBJECT]', argc: 1 },
  { cmd: 'whoami', label: '[s3k] Show which credentials are used and where they came from', param: '', argc: 0 },
  { cmd: 'doctor', label: '[s3k] Check what a pod needs (credentials, IRSA token, STS, clock, bucket) and print the fix for each failure', param: '[s3://BUCKET]', argc: 0 },
  { cmd: 'completion', label: '[s3k] Print the shell completion script for bash or zsh', param: 'bash|zsh', argc: 1 },
];
